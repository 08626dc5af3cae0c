"""A step-through player that needs no Python kernel: one self-contained HTML file.

    frames = viz.steps(f, x, y, mode="reverse")
    viz.save_player(frames, "steps.html")      # open from disk, put on a course website
    frames                                     # in Jupyter: the same player inline (Frames._repr_html_)

The SVG of every frame is inlined, a few lines of plain JavaScript (no CDN, no libraries) show one at a
time: previous/next buttons, the arrow keys, a slider and the step's caption. Only the shown frame is
visible (the others have ``hidden``), so the page also works in a static nbconvert HTML export.
"""
from __future__ import annotations

import html
import itertools
import json
import re

from .rendering import pipe, write_atomic

_players = itertools.count()

SCRIPT = """
(function () {
  var root = document.getElementById("%(id)s");
  var frames = root.querySelectorAll(".mg-frame");
  var captions = JSON.parse(root.getAttribute("data-captions"));
  var slider = root.querySelector(".mg-slider"), caption = root.querySelector(".mg-caption");
  var counter = root.querySelector(".mg-counter"), k = 0;
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    for (var j = 0; j < frames.length; j++) { frames[j].hidden = (j !== k); }
    slider.value = k;
    caption.textContent = captions[k];
    counter.textContent = "step " + k + " of " + (frames.length - 1);
  }
  root.querySelector(".mg-prev").onclick = function () { show(k - 1); };
  root.querySelector(".mg-next").onclick = function () { show(k + 1); };
  slider.oninput = function () { show(parseInt(slider.value, 10)); };
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { show(k + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { show(k - 1); e.preventDefault(); }
  });
  show(0);
})();
"""

STYLE = """
.mg-player { font-family: Helvetica, Arial, sans-serif; outline: none; }
.mg-player .mg-bar { display: flex; gap: 0.6em; align-items: center; margin: 0.4em 0; }
.mg-player .mg-caption { font-size: 1.05em; margin: 0.3em 0; min-height: 1.4em; }
.mg-player .mg-frame svg { max-width: 100%; height: auto; }
.mg-player button { font-size: 1em; padding: 0.2em 0.8em; }
.mg-player .mg-slider { flex: 1; }
"""


def svg_text(graph) -> str:
    """A Digraph's SVG without its XML prologue, ready to inline in HTML."""
    text = pipe(graph, "svg").decode("utf-8")
    return re.sub(r"^.*?(?=<svg)", "", text, flags=re.S)


def player_html(frames, captions=None, title: str = "minigrad steps", standalone: bool = False) -> str:
    """The player as HTML: a fragment (for Jupyter) or, with ``standalone``, a whole page."""
    if captions is None:
        captions = getattr(frames, "captions", None) or [f"step {k}" for k in range(len(frames))]
    frames, captions = list(frames), list(captions)
    if not frames:
        raise ValueError("viz.save_player: no frames to play")
    if len(captions) != len(frames):
        raise ValueError(f"viz.save_player: {len(captions)} captions for {len(frames)} frames")
    player_id = f"mg-player-{next(_players)}"
    body = "\n".join(f'<div class="mg-frame" data-step="{k}"{" hidden" if k else ""}>{svg_text(f)}</div>'
                     for k, f in enumerate(frames))
    fragment = f"""<div class="mg-player" id="{player_id}" tabindex="0" data-captions="{html.escape(json.dumps(captions))}">
<style>{STYLE}</style>
<div class="mg-bar"><button class="mg-prev" type="button" title="previous step (←)">◀ prev</button>
<input class="mg-slider" type="range" min="0" max="{len(frames) - 1}" value="0" step="1" aria-label="step">
<button class="mg-next" type="button" title="next step (→)">next ▶</button><span class="mg-counter"></span></div>
<div class="mg-caption">{html.escape(captions[0])}</div>
{body}
<script>{SCRIPT % {"id": player_id}}</script>
</div>"""
    if not standalone:
        return fragment
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head>\n<body>\n{fragment}\n</body></html>\n')


def save_player(frames, path, captions=None, title: str = "minigrad steps") -> str:
    """Write the frames of ``viz.steps`` as one self-contained HTML file (inline SVG, plain JavaScript):
    prev/next buttons, ← → keys, a slider, the step's caption. Written atomically; returns the path."""
    page = player_html(frames, captions, title, standalone=True)
    write_atomic(path, page.encode("utf-8"))
    return str(path)
