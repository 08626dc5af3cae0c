"""Turning Digraphs into files: format from the suffix, atomic writes, and a clear word when Graphviz's
``dot`` program is missing."""
from __future__ import annotations

import os
import shutil

import graphviz

from minigrad.atomic import atomic_write

FORMATS = ("svg", "png", "pdf", "gv")

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


def pipe(graph: graphviz.Digraph, fmt: str, dpi: int | None = None) -> bytes:
    """The rendered bytes of ``graph`` in ``fmt`` (png at ``dpi`` dots per inch when given)."""
    require_dot()
    if dpi is not None:
        graph = graph.copy()
        graph.graph_attr["dpi"] = str(dpi)
    return graph.pipe(format=fmt)


def format_of(path) -> str:
    fmt = os.path.splitext(str(path))[1].lstrip(".").lower()
    if fmt == "dot":
        fmt = "gv"
    if fmt not in FORMATS:
        raise ValueError(f"viz.render: cannot tell the format from {str(path)!r}; use a path ending in "
                         f".svg, .png, .pdf or .gv")
    return fmt


def render(graph: graphviz.Digraph, path, dpi: int | None = None) -> str:
    """Write ``graph`` to ``path``, in the format its suffix names (svg, png, pdf; gv/dot for the source).

    The file appears whole or not at all (temporary file, then rename). Returns the path.
    """
    if not isinstance(graph, graphviz.Digraph):
        raise TypeError(f"viz.render takes a graphviz.Digraph (from viz.draw), got {type(graph).__name__}")
    fmt = format_of(path)
    data = graph.source.encode() if fmt == "gv" else pipe(graph, fmt, dpi if fmt == "png" else None)
    write_atomic(path, data)
    return str(path)
