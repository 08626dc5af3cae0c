"""Shared by the viz tests: the lecture example, and real SVGs rendered with Graphviz's ``dot`` and parsed.

The lecture's numbers at x = 3, y = 2 are evaluated with ``math`` (a = log x, b = y·a, c = √b, f = c + b).
"""
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

import minigrad as mg
import viz
from viz.rendering import pipe

SVG = "{http://www.w3.org/2000/svg}"

LOG3 = math.log(3)
ROOT_B = math.sqrt(2 * LOG3)
VALUES = {"x": 3.0, "y": 2.0, "a": LOG3, "b": 2 * LOG3, "c": ROOT_B, "f": ROOT_B + 2 * LOG3}
ADJOINTS = {"f": 1.0, "c": 1.0, "b": 1 + 1 / (2 * ROOT_B)}
ADJOINTS["a"] = 2 * ADJOINTS["b"]
ADJOINTS["y"] = LOG3 * ADJOINTS["b"]
ADJOINTS["x"] = ADJOINTS["a"] / 3
TANGENTS = {  # node: (∂/∂x, ∂/∂y), the lecture's forward-mode steps
    "x": (1.0, 0.0), "y": (0.0, 1.0), "a": (1 / 3, 0.0), "b": (2 / 3, LOG3),
    "c": (1 / (3 * ROOT_B), 0.5 * math.sqrt(LOG3 / 2)),
}
TANGENTS["f"] = (TANGENTS["c"][0] + TANGENTS["b"][0], TANGENTS["c"][1] + TANGENTS["b"][1])


def lecture_f(x, y):
    a = x.log().named("a")
    b = (y * a).named("b")
    c = b.sqrt().named("c")
    return (c + b).named("f")


@pytest.fixture
def lecture():
    """(x, y, f) for f(x, y) = y·log x + √(y·log x) at x = 3, y = 2, nothing computed backwards yet."""
    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    return x, y, lecture_f(x, y)


@dataclass
class SvgNode:
    id: str
    texts: list
    x: float
    y: float
    top: float = 0.0      # the extent of its shapes and texts (SVG y grows downwards)
    bottom: float = 0.0
    left: float = 0.0
    right: float = 0.0

    def row(self, label: str) -> str:
        """The text right after ``label`` in the node's table ("value" -> "2.197")."""
        i = self.texts.index(label)
        return self.texts[i + 1]


@dataclass
class SvgEdge:
    tail: str
    head: str
    stroke: str
    width: float
    dashed: bool
    texts: list


@dataclass
class Svg:
    nodes: dict      # graphviz node id -> SvgNode
    edges: list
    clusters: list   # cluster titles
    title: list      # texts of the graph label

    def by_name(self) -> dict:
        """Value nodes (ids v<i>) by the name in their header."""
        return {n.texts[0]: n for n in self.nodes.values() if n.id.startswith("v")}

    def ops(self) -> list:
        return [n for n in self.nodes.values() if n.id.startswith("op")]


def _texts(g) -> list:
    return [t.text.strip() for t in g.iter(f"{SVG}text") if t.text and t.text.strip()]


_PAIR = re.compile(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)")


def _extent(g) -> tuple:
    """(left, top, right, bottom) of the polygons, paths, ellipses and texts of one SVG group."""
    points = []
    for shape in g.iter():
        for key in ("points", "d"):
            points += [(float(a), float(b)) for a, b in _PAIR.findall(shape.get(key) or "")]
        if shape.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(shape.get(k)) for k in ("cx", "cy", "rx", "ry"))
            points += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
        if shape.tag == f"{SVG}text":
            points.append((float(shape.get("x")), float(shape.get("y"))))
    xs, ys = [p[0] for p in points] or [0.0], [p[1] for p in points] or [0.0]
    return min(xs), min(ys), max(xs), max(ys)


def parse_svg(data: bytes) -> Svg:
    root = ET.fromstring(data)
    nodes, edges, clusters, title = {}, [], [], []
    for g in root.iter(f"{SVG}g"):
        kind = g.get("class")
        name = g.findtext(f"{SVG}title")
        if kind == "node":
            xs = [float(t.get("x")) for t in g.iter(f"{SVG}text")]
            ys = [float(t.get("y")) for t in g.iter(f"{SVG}text")]
            left, top, right, bottom = _extent(g)
            nodes[name] = SvgNode(name, _texts(g), min(xs, default=0.0), min(ys, default=0.0), top, bottom, left, right)
        elif kind == "edge":
            tail, head = (end.split(":")[0] for end in name.split("->"))   # drop ports ("op0:nw")
            path = g.find(f"{SVG}path")
            edges.append(SvgEdge(tail, head, path.get("stroke"), float(path.get("stroke-width", 1)),
                                 path.get("stroke-dasharray") is not None, _texts(g)))
        elif kind == "cluster":
            clusters.append(name)
        elif kind == "graph":
            title = [t.text.strip() for t in g.findall(f"{SVG}text") if t.text and t.text.strip()]
    return Svg(nodes, edges, clusters, title)


@pytest.fixture
def svg():
    """``svg(digraph)``: render it with dot to SVG and parse it (nodes, edges, clusters, title)."""
    return lambda graph: parse_svg(pipe(graph, "svg"))


@pytest.fixture
def parse():
    """``parse(svg_bytes)`` -> Svg."""
    return parse_svg


@pytest.fixture
def numbers():
    """The lecture's values, adjoints ∂f/∂node and tangents (∂/∂x, ∂/∂y) by node name."""
    return dict(values=VALUES, adjoints=ADJOINTS, tangents=TANGENTS)


@pytest.fixture
def lecture_fn():
    return lecture_f
