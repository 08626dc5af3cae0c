"""Turning Digraphs into files: format from the suffix, atomic writes, and a clear word when Graphviz's
``dot`` program is missing."""
from __future__ import annotations

import numbers
import os
import shutil
import subprocess

import graphviz

from minigrad.atomic import atomic_write

FORMATS = ("svg", "png", "pdf", "gv")
TIMEOUT = 60          # seconds dot may take before render gives up
DPI_RANGE = (1, 1200)

INSTALL_HINT = ("Graphviz's `dot` program is needed to render drawings but was not found on PATH. "
                "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS) or `conda install graphviz` (conda), then check with `dot -V`.")


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` binary is not installed (the message says how to install it)."""


def require_dot():
    """Raise DotNotFoundError with install instructions unless ``dot`` is on PATH."""
    if shutil.which("dot") is None:
        raise DotNotFoundError(INSTALL_HINT)


class Digraph(graphviz.Digraph):
    """A graphviz.Digraph (shown inline in Jupyter) that explains how to install Graphviz when ``dot`` is
    missing, instead of failing deep inside a subprocess call."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        require_dot()
        return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)


def write_atomic(path, data: bytes):
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``."""
    with atomic_write(path) as f:
        f.write(data)


def check_dpi(dpi, where: str = "viz.render"):
    """None, or a number of dots per inch from 1 to 1200."""
    if dpi is None:
        return None
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
        raise ValueError(f"{where}: dpi must be a number from {DPI_RANGE[0]} to {DPI_RANGE[1]} (dots per inch), "
                         f"got {dpi!r}")
    return dpi


def check_timeout(timeout, where: str = "viz.render"):
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0:
        raise ValueError(f"{where}: timeout must be a positive number of seconds, got {timeout!r}")
    return timeout


def pipe(graph: graphviz.Digraph, fmt: str, dpi: int | None = None, timeout: float = TIMEOUT) -> bytes:
    """The rendered bytes of ``graph`` in ``fmt`` (png at ``dpi`` dots per inch when given). ``dot`` gets
    ``timeout`` seconds; a hung or too slow ``dot`` is killed and reported."""
    check_dpi(dpi)
    check_timeout(timeout)
    require_dot()
    if dpi is not None:
        graph = graph.copy()
        graph.graph_attr["dpi"] = str(dpi)
    try:
        done = subprocess.run(["dot", f"-T{fmt}"], input=graph.source.encode(), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"viz.render: Graphviz's dot did not finish within {timeout} s; draw less (fold modules "
                           "with modules=model, depth=2) or pass a larger timeout=") from None
    if done.returncode != 0:
        raise RuntimeError(f"viz.render: Graphviz's dot failed (exit {done.returncode}): "
                           f"{done.stderr.decode(errors='replace').strip()[-500:]}")
    return done.stdout


def format_of(path) -> str:
    fmt = os.path.splitext(str(path))[1].lstrip(".").lower()
    if fmt == "dot":
        fmt = "gv"
    if fmt not in FORMATS:
        raise ValueError(f"viz.render: cannot tell the format from {str(path)!r}; use a path ending in "
                         f".svg, .png, .pdf or .gv")
    return fmt


def render(graph: graphviz.Digraph, path, dpi: int | None = None, timeout: float = TIMEOUT) -> str:
    """Write ``graph`` to ``path``, in the format its suffix names (svg, png, pdf; gv/dot for the source).

    ``dpi`` (1-1200) sets a PNG's resolution; ``dot`` is given ``timeout`` seconds (TimeoutError after).
    The file appears whole or not at all (temporary file, then rename). Returns the path.
    """
    if not isinstance(graph, graphviz.Digraph):
        raise TypeError(f"viz.render takes a graphviz.Digraph (from viz.draw), got {type(graph).__name__}")
    check_dpi(dpi)
    check_timeout(timeout)
    fmt = format_of(path)
    data = graph.source.encode() if fmt == "gv" else pipe(graph, fmt, dpi if fmt == "png" else None, timeout)
    write_atomic(path, data)
    return str(path)
