"""viz: pictures of minigrad graphs (Graphviz) and of training (matplotlib).

    import viz
    viz.draw(f)                                   # computation graph: values, grads, tangents
    viz.draw(loss, flow=True)                     # gradient flow along each edge
    viz.draw(loss, modules=model, depth=2)        # nn.Modules as clusters or folded blocks
    viz.steps(fn, x, y, mode="forward")           # one frame per step of forward / reverse mode
    viz.render(graph, "graph.svg"); viz.save_steps(frames, "steps.pdf")
    viz.plot_grad_flow(model); viz.plot_activations(model, x); viz.plot_history("metrics.json")
"""
from .drawing import draw
from .rendering import DotNotFoundError, render, require_dot
from .frames import save_steps, steps
