"""Step-through frames as a Beamer slide: one overlay per frame, vector graphics, the step as caption.

    frames = viz.steps(f, x, y, mode="reverse", aspect=viz.BEAMER_BODY, title=False, shared_layout=False)
    viz.save_beamer(frames, "deck.tex")      # writes deck.tex and deck-frames.pdf; pdflatex deck.tex

The frames go into one vector PDF next to the .tex file (one page per frame, ``viz.save_steps``); the
slide shows page k on overlay k (``\\only<k>``) under its caption, so pressing "next" in the PDF viewer
steps through exactly like the HTML player. The caption is the slide's text, so it is taken out of the
pictures, and the pictures are scaled unpadded into the slide's body (BODY_WIDTH_CM x BODY_HEIGHT_CM under the frame title
and a two-line caption) as large as it fits.
"""
from __future__ import annotations

import os

from minigrad.trace import latex_text

from .frames import save_steps
from .rendering import write_atomic

GRAPH_LEVEL_FIT = ("\tlabel=", "\tratio=", "\tpad=")   # the title, and the padding to an aspect
BODY_WIDTH_CM, BODY_HEIGHT_CM = 15.0, 6.6   # aspectratio=169: 16 cm x 9 cm paper, 0.5 cm side margins
BEAMER_BODY = f"{BODY_WIDTH_CM}:{BODY_HEIGHT_CM}"   # the aspect of frames that fill the slide's body


def beamer_source(pdf_name: str, captions: list, title: str) -> str:
    """The .tex of one Beamer frame with an overlay per page of ``pdf_name``: each caption in a box of two
    lines at the top, so the picture stays in place from overlay to overlay."""
    overlays = "\n".join(
        f"  \\only<{k + 1}>{{\\parbox[t][2.4em][t]{{\\linewidth}}{{\\small\\strut {latex_text(c)}}}\\par\\smallskip"
        f"\\centering"
        f"\\includegraphics[page={k + 1},width={BODY_WIDTH_CM}cm,height={BODY_HEIGHT_CM}cm,keepaspectratio]"
        f"{{{pdf_name}}}}}"
        for k, c in enumerate(captions))
    return (f"\\documentclass[aspectratio=169]{{beamer}}\n\\usepackage{{graphicx}}\n"
            f"\\setbeamertemplate{{navigation symbols}}{{}}\n"
            f"\\setbeamersize{{text margin left=0.5cm,text margin right=0.5cm}}\n\\begin{{document}}\n"
            f"\\begin{{frame}}[t]{{{latex_text(title)}}}\n{overlays}\n\\end{{frame}}\n\\end{{document}}\n")


def save_beamer(frames, path, title: str | None = None) -> str:
    """Write ``path`` (.tex), a Beamer deck with one overlay per frame, and the frames' vector PDF next to
    it (``<name>-frames.pdf``). Compile with ``pdflatex``. Returns the path of the .tex file."""
    path = os.fspath(path)
    if not path.endswith(".tex"):
        raise ValueError(f"viz.save_beamer: the deck is a LaTeX file; use a path ending in .tex, got {path!r}")
    captions = list(getattr(frames, "captions", None) or [f"step {k}" for k in range(len(frames))])
    mode = getattr(frames, "mode", None)
    frames = list(frames)
    if not frames:
        raise ValueError("viz.save_beamer: no frames to put on slides")
    if len(captions) != len(frames):
        raise ValueError(f"viz.save_beamer: {len(captions)} captions for {len(frames)} frames")
    default_title = f"{mode.capitalize()} mode, step by step" if mode else "Step by step"
    frames = fill_body(frames)
    stem = os.path.splitext(os.path.basename(path))[0]
    pdf_name = f"{stem}-frames.pdf"
    save_steps(frames, os.path.join(os.path.dirname(path), pdf_name))
    write_atomic(path, beamer_source(pdf_name, captions, title or default_title).encode("utf-8"))
    return path


def fill_body(frames) -> list:
    """Copies of the frames without their titles (the slide shows the caption) and without padding to an
    aspect: ``keepaspectratio`` scales the drawing itself as large as the slide's body allows."""
    bare = []
    for frame in frames:
        copy = frame.copy()
        copy.body[:] = [line for line in copy.body if not line.startswith(GRAPH_LEVEL_FIT)]
        bare.append(copy)
    return bare
