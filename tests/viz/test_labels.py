"""Cell sizes of step frames: ``text_width`` against Graphviz's own measure of the same text in bold (the
widest a frame draws it): never narrower, at most a fifth plus the padding wider."""
import re
import shutil

import pytest

from viz import style
from viz.labels import text_width
from viz.rendering import Digraph, pipe

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def dot_width(text: str, size: float) -> float:
    """The width in points dot gives ``text`` in bold at ``size`` (a plain node is exactly its label)."""
    graph = Digraph()
    graph.attr(pad="0")
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    graph.node("t", label=f"<<B>{escaped}</B>>", shape="plain", fontname=style.FONT, fontsize=str(size), margin="0")
    svg = pipe(graph, "svg").decode("utf-8")
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))


@pytest.mark.parametrize("text, size", [
    ("1 + 0.3373 = 1.337", style.FONT_SIZE), ("∂f/∂b", style.FONT_SIZE), ("value", style.FONT_SIZE),
    ("0.2694 + 0.6667 = 0.9361", style.FONT_SIZE), ("1.337 × 1.099 = 1.469", style.SMALL_FONT_SIZE),
    ("Reverse mode · step 2: ∂f/∂b = 1 + 0.3373 = 1.337", style.FONT_SIZE + 2),
])
def test_cells_hold_their_text_without_much_room_to_spare(text, size):
    measured = dot_width(text, size)
    assert measured + 8 <= text_width(text, size) <= 1.2 * measured + 12
