"""``python -m viz``: draw a graph from an example script or a model, from the command line.

    python -m viz examples/autodiff_modes.py --out graph.svg          # the last graph the script made
    python -m viz examples/autodiff_modes.py --fn f --args 3 2 --steps reverse --out steps.pdf
    python -m viz script.py --fn loss --args "[[1,2],[3,4]]" 2x3 --backward --out loss.svg   # Tensor inputs
    python -m viz --model resnet18 --depth 2 --wrap 4 --loss --backward --flow --out resnet.svg

A script is run as ``__main__`` (with no arguments of its own, its printing silenced); the graph drawn
is, in this order: the function named by ``--fn`` called on ``--args`` (a number becomes a Scalar, a
JSON list a Tensor, a shape like 2x3 a random Tensor; each named after the function's parameter), the
last module-level Scalar/Tensor with a graph, or the last one returned by a function of the script.
Every user error is one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import os
import re
import runpy
import sys

import minigrad as mg
from minigrad.autodiff import Node

from .drawing import draw
from .frames import save_steps, steps
from .rendering import DotNotFoundError, format_of, render, require_dot

PROG = "python -m viz"


class UsageError(Exception):
    """A mistake on the command line or in what it names: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_args(argv=None):
    p = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("script", nargs="?", help="a Python script that builds a Scalar or Tensor graph")
    p.add_argument("--model", help="a model from minigrad.models instead of a script (resnet18, lenet5, ...)")
    p.add_argument("--input-shape", type=int, nargs="+", help="input batch shape for --model "
                   "(default 1 1 28 28 for LeNet, else 1 3 32 32)")
    p.add_argument("--fn", help="name of a function in the script to call and draw")
    p.add_argument("--args", nargs="*", default=[], help="inputs of --fn: a number (Scalar), a JSON list (Tensor) "
                   "or a shape like 2x3 (a random Tensor)")
    p.add_argument("--backward", action="store_true", help="run backward first, so the drawing shows gradients")
    p.add_argument("--loss", action="store_true", help="with --model: draw the cross-entropy loss of random "
                   "labels, not the logits")
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
    if args.loss and not args.model:
        p.error("--loss needs --model (a script computes its own loss)")
    return args


def run_script(path: str):
    """Run ``path`` as __main__; return its globals and the last graph node one of its functions returned."""
    script = os.path.abspath(path)
    if not os.path.isfile(script):
        raise UsageError(f"no such script: {path}")
    last = []

    def watch_returns(frame, event, value):
        if event == "return" and frame.f_code.co_filename == script and isinstance(value, Node) \
                and value._op is not None:
            last[:] = [value]

    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv, sys.path = [script], [os.path.dirname(script)] + sys.path
    sys.setprofile(watch_returns)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            namespace = runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            raise UsageError(f"{path} exited with status {e.code}") from None
        namespace = {}
    finally:
        sys.setprofile(None)
        sys.argv, sys.path = saved_argv, saved_path
    return namespace, (last[0] if last else None)


def make_input(text: str, name: str):
    """"3" → Scalar(3.0), "[[1, 2], [3, 4]]" → a Tensor, "2x3" → a random 2×3 Tensor; named ``name``."""
    if re.fullmatch(r"\d+(x\d+)*", text) and "x" in text:
        return mg.randn(*map(int, text.split("x")), requires_grad=True).named(name)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return mg.Scalar(float(value), name=name)
    if isinstance(value, list):
        try:
            return mg.tensor(value, dtype=mg.float32, requires_grad=True).named(name)
        except (ValueError, TypeError) as e:
            raise UsageError(f"--args {text!r} for {name}: not a rectangular list of numbers ({e})") from None
    raise UsageError(f"--args {text!r} for {name}: expected a number, a JSON list or a shape like 2x3")


def call_fn(namespace: dict, name: str, texts: list):
    """``namespace[name]`` and the inputs to call it with (named after its parameters)."""
    fn = namespace.get(name)
    if not callable(fn):
        raise UsageError(f"the script defines no function {name!r}")
    params = list(inspect.signature(fn).parameters)
    if len(texts) != len(params):
        raise UsageError(f"{name}({', '.join(params)}) takes {len(params)} numbers; pass them with "
                         f"--args (got {len(texts)})")
    return fn, [make_input(t, p) for t, p in zip(texts, params)]


def script_graph(args):
    namespace, returned = run_script(args.script)
    if args.fn:
        fn, inputs = call_fn(namespace, args.fn, args.args)
        return fn(*inputs), None
    found = [v for v in namespace.values() if isinstance(v, Node) and v._op is not None]
    root = found[-1] if found else returned
    if root is None:
        raise UsageError(f"{args.script} made no Scalar or Tensor with a graph that viz could "
                         "find; name the function that builds one with --fn NAME --args ...")
    return root, None


def buildable_models() -> dict:
    """lower-case name -> the models of minigrad.models that can be built without arguments."""
    from minigrad import models

    out = {}
    for name, make in vars(models).items():
        if name.startswith("_") or not (inspect.isclass(make) or inspect.isfunction(make)):
            continue
        if not hasattr(models, "__all__") or name in models.__all__:
            params = inspect.signature(make).parameters.values()
            if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
                out[name.lower()] = make
    return out


def model_graph(args):
    import minigrad.nn.functional as F

    by_name = buildable_models()
    make = by_name.get(args.model.lower())
    if make is None:
        raise UsageError(f"unknown model {args.model!r}; choose from {', '.join(sorted(by_name))}")
    model = make()
    shape = args.input_shape or ([1, 1, 28, 28] if "lenet" in args.model.lower() else [1, 3, 32, 32])
    if any(n < 1 for n in shape):
        raise UsageError(f"--input-shape must be positive sizes, got {shape}")
    try:
        out = model(mg.randn(*shape))
    except (ValueError, RuntimeError) as e:
        raise UsageError(f"{args.model} cannot take an input of shape {shape}: {e}") from None
    if args.loss:
        labels = mg.tensor((mg.rand(shape[0]).numpy() * out.shape[-1]).astype("int64") % out.shape[-1])
        out = F.cross_entropy(out, labels).named("loss")
    return out, model


def run(args):
    if args.steps or format_of(args.out) != "gv":
        require_dot()
    if args.steps:
        namespace, _ = run_script(args.script)
        fn, inputs = call_fn(namespace, args.fn, args.args)
        written = save_steps(steps(fn, *inputs, mode=args.steps, rankdir=args.rankdir), args.out)
        print("wrote", written if isinstance(written, str) else f"{len(written)} frames: {written[0]} ...")
        return
    root, model = model_graph(args) if args.model else script_graph(args)
    if args.backward:
        if root.size != 1:
            raise UsageError(f"--backward needs a one-element result, the graph's output has shape {root.shape}; "
                             "return a loss (or use --loss with --model)")
        root.backward()
    modules = model if model is not None else (args.modules or args.depth is not None)
    graph = draw(root, flow=args.flow, modules=modules, depth=args.depth, rankdir=args.rankdir,
                 max_elements=args.max_elements, edge_labels=args.edge_labels, wrap=args.wrap)
    print("wrote", render(graph, args.out))


def main(argv=None):
    """Run the command line; a user error is one line "python -m viz: ..." on stderr and exit status 2."""
    try:
        run(parse_args(argv))
    except (UsageError, DotNotFoundError, ValueError, TypeError, OSError, TimeoutError) as e:
        print(f"{PROG}: error: {' '.join(str(e).split())}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
