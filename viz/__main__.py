"""``python -m viz``: draw a graph from an example script or a model, from the command line.

    python -m viz examples/autodiff_modes.py --out graph.svg          # the last graph the script made
    python -m viz examples/autodiff_modes.py --fn f --args 3 2 --steps reverse --out steps.pdf
    python -m viz --model resnet18 --depth 2 --wrap 4 --out resnet.svg

A script is run as ``__main__`` (with no arguments of its own); the graph drawn is, in this order: the
function named by ``--fn`` called on Scalars made from ``--args`` (named after its parameters), the last
module-level Scalar/Tensor with a graph, or the last one returned by a function of the script.
"""
from __future__ import annotations

import argparse
import inspect
import os
import runpy
import sys

import minigrad as mg
from minigrad.autodiff import Node

from .drawing import draw
from .frames import save_steps, steps
from .rendering import format_of, render, require_dot


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m viz", description=__doc__.splitlines()[0])
    p.add_argument("script", nargs="?", help="a Python script that builds a Scalar or Tensor graph")
    p.add_argument("--model", help="a model from minigrad.models instead of a script (resnet18, lenet5, ...)")
    p.add_argument("--input-shape", type=int, nargs="+", help="input batch shape for --model "
                   "(default 1 1 28 28 for LeNet, else 1 3 32 32)")
    p.add_argument("--fn", help="name of a function in the script to call and draw")
    p.add_argument("--args", type=float, nargs="*", default=[], help="numbers passed to --fn as Scalars")
    p.add_argument("--steps", choices=("forward", "reverse"), help="write step frames of --fn (pdf, gif, "
                   "frame_{}.png or a folder) instead of one graph")
    p.add_argument("--out", required=True, help="output file: .svg, .png, .pdf or .gv (format from the suffix)")
    p.add_argument("--flow", action="store_true", help="colour edges by gradient flow")
    p.add_argument("--modules", action="store_true", help="cluster ops by nn.Module (always on with --model)")
    p.add_argument("--depth", type=int, help="fold modules this many levels down into single nodes")
    p.add_argument("--wrap", type=int, help="lay the graph out in rows of this many columns")
    p.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"))
    p.add_argument("--edge-labels", action="store_true", help="label Scalar edges with local derivatives")
    p.add_argument("--max-elements", type=int, default=2000)
    args = p.parse_args(argv)
    if (args.script is None) == (args.model is None):
        p.error("give either a script or --model NAME")
    if args.steps and not args.fn:
        p.error("--steps needs --fn: the function to step through")
    return args


def run_script(path: str):
    """Run ``path`` as __main__; return its globals and the last graph node one of its functions returned."""
    script = os.path.abspath(path)
    if not os.path.isfile(script):
        raise SystemExit(f"python -m viz: no such script: {path}")
    last = []

    def watch_returns(frame, event, value):
        if event == "return" and frame.f_code.co_filename == script and isinstance(value, Node) \
                and value._op is not None:
            last[:] = [value]

    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv, sys.path = [script], [os.path.dirname(script)] + sys.path
    sys.setprofile(watch_returns)
    try:
        namespace = runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            raise
        namespace = {}
    finally:
        sys.setprofile(None)
        sys.argv, sys.path = saved_argv, saved_path
    return namespace, (last[0] if last else None)


def call_fn(namespace: dict, name: str, numbers: list):
    """``namespace[name]`` and the Scalars to call it with (named after its parameters)."""
    fn = namespace.get(name)
    if not callable(fn):
        raise SystemExit(f"python -m viz: the script defines no function {name!r}")
    params = list(inspect.signature(fn).parameters)
    if len(numbers) != len(params):
        raise SystemExit(f"python -m viz: {name}({', '.join(params)}) takes {len(params)} numbers; pass them with "
                         f"--args (got {len(numbers)})")
    return fn, [mg.Scalar(v, name=p) for v, p in zip(numbers, params)]


def script_graph(args):
    namespace, returned = run_script(args.script)
    if args.fn:
        fn, inputs = call_fn(namespace, args.fn, args.args)
        return fn(*inputs), None
    found = [v for v in namespace.values() if isinstance(v, Node) and v._op is not None]
    root = found[-1] if found else returned
    if root is None:
        raise SystemExit(f"python -m viz: {args.script} made no Scalar or Tensor with a graph that viz could "
                         "find; name the function that builds one with --fn NAME --args ...")
    return root, None


def model_graph(args):
    from minigrad import models

    by_name = {n.lower(): m for n, m in vars(models).items()
               if not n.startswith("_") and (inspect.isclass(m) or inspect.isfunction(m))}
    make = by_name.get(args.model.lower())
    if make is None:
        raise SystemExit(f"python -m viz: unknown model {args.model!r}; choose from {sorted(by_name)}")
    try:
        model = make()
    except TypeError as e:
        raise SystemExit(f"python -m viz: {args.model} cannot be built without arguments ({e})") from None
    shape = args.input_shape or ([1, 1, 28, 28] if "lenet" in args.model.lower() else [1, 3, 32, 32])
    return model(mg.randn(*shape)), model


def main(argv=None):
    args = parse_args(argv)
    if args.steps or format_of(args.out) != "gv":
        require_dot()
    if args.steps:
        namespace, _ = run_script(args.script)
        fn, inputs = call_fn(namespace, args.fn, args.args)
        written = save_steps(steps(fn, *inputs, mode=args.steps, rankdir=args.rankdir), args.out)
        print("wrote", written if isinstance(written, str) else f"{len(written)} frames: {written[0]} ...")
        return
    root, model = model_graph(args) if args.model else script_graph(args)
    modules = model if model is not None else (args.modules or args.depth is not None)
    graph = draw(root, flow=args.flow, modules=modules, depth=args.depth, rankdir=args.rankdir,
                 max_elements=args.max_elements, edge_labels=args.edge_labels, wrap=args.wrap)
    print("wrote", render(graph, args.out))


if __name__ == "__main__":
    main()
