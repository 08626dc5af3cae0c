"""viz: pictures of minigrad graphs (Graphviz) and of training (matplotlib).

    import viz
    viz.draw(f)                                   # computation graph: values, grads, tangents
    viz.draw(loss, flow=True)                     # gradient flow along each edge
    viz.draw(out, modules=model, depth=2)         # nn.Modules as clusters, or folded into blocks
    viz.steps(fn, x, y, mode="forward")           # one frame per step of forward / reverse mode
    viz.render(graph, "graph.svg"); viz.save_steps(frames, "steps.pdf")
    viz.save_player(frames, "steps.html")         # a self-contained step-through for the browser
    viz.save_beamer(frames, "deck.tex")           # a Beamer slide, one overlay per frame
                                                  # (frames: viz.steps(..., aspect=viz.BEAMER_BODY, title=False, shared_layout=False))
    viz.plot_grad_flow(model); viz.plot_activations(model, x); viz.plot_history("runs/latest")

viz reads graphs and never changes them; rendering needs Graphviz's ``dot`` program.
"""
from .beamer import BEAMER_BODY, save_beamer
from .drawing import draw
from .frames import Frames, frames_of_trace, save_steps, steps
from .player import player_html, save_player, svg_text
from .plots import (plot_activation_stats, plot_activations, plot_grad_flow, plot_history, plot_lr_schedule,
                    record_activations, save_figure)
from .rendering import DotNotFoundError, render, require_dot
