"""LaTeX output: the trace's booktabs tables and a Beamer deck with one overlay per frame, which compiles
with pdflatex (where pdflatex and Beamer are installed) into a PDF with one page per overlay."""
import re
import shutil
import subprocess

import pytest

import minigrad as mg
import viz

PDFLATEX = shutil.which("pdflatex")


def has_beamer() -> bool:
    kpsewhich = shutil.which("kpsewhich")
    if not kpsewhich:
        return False
    found = subprocess.run([kpsewhich, "beamer.cls", "pgfmath.sty"], capture_output=True, text=True).stdout
    return len(found.split()) == 2


def compile_tex(folder, name):
    return subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                          capture_output=True, text=True, timeout=240)


def test_trace_latex_is_a_booktabs_table_of_the_same_steps(lecture_fn):
    table = mg.trace(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), digits=4)
    tex = table.latex()
    assert tex.count("\\toprule") == tex.count("\\midrule") == tex.count("\\bottomrule") == 2
    rows = [line for line in tex.splitlines() if re.match(r"\d+ & ", line)]
    assert len(rows) == len(table.forward_rows) + len(table.reverse_rows) == 12
    assert "2 & b & 1 + 0.3373 = 1.337 & $\\to$ y: 1.337 $\\times$ 1.099 = 1.469" in tex
    assert "3 & b & y $\\cdot$ a & 2.197" in tex and "$\\partial$/$\\partial$x" in tex
    assert not re.search(r"[^\x00-\x7f]", tex)            # pdflatex-safe: every symbol became a macro


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_save_beamer_writes_one_overlay_per_frame(lecture_fn, tmp_path):
    frames = viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse")
    tex_path = viz.save_beamer(frames, tmp_path / "deck.tex")
    tex = open(tex_path, encoding="utf-8").read()
    assert [int(k) for k in re.findall(r"\\only<(\d+)>", tex)] == list(range(1, 7))
    assert [int(k) for k in re.findall(r"page=(\d+)", tex)] == list(range(1, 7))
    assert "aspectratio=169" in tex and not re.search(r"[^\x00-\x7f]", tex)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck-frames.pdf", "deck.tex"]
    with pytest.raises(ValueError, match="ending in .tex"):
        viz.save_beamer(frames, tmp_path / "deck.pdf")

    if PDFLATEX is None or not has_beamer():
        pytest.skip("pdflatex with Beamer is not installed (apt-get install texlive-latex-base "
                    "texlive-latex-recommended texlive-pictures); the deck was written but not compiled")
    result = compile_tex(tmp_path, "deck.tex")
    assert result.returncode == 0, result.stdout[-2000:]
    from pypdf import PdfReader
    pages = PdfReader(tmp_path / "deck.pdf").pages
    assert len(pages) == 6
    assert "1 + 0.3373 = 1.337" in pages[2].extract_text()


def smallest_text_on_slide(tmp_path, frames) -> float:
    """The smallest font (pt) of the graph as pdflatex placed it on the slide: the frames PDF's smallest
    text size (its own Tf × Tm) times the scale of the ``cm`` that draws the page on the slide."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    viz.save_beamer(frames, tmp_path / "deck.tex")
    result = compile_tex(tmp_path, "deck.tex")
    assert result.returncode == 0, result.stdout[-2000:]
    sizes = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes.append(size * abs(tm[0] * tm[3] - tm[1] * tm[2]) ** 0.5)

    PdfReader(tmp_path / "deck-frames.pdf").pages[2].extract_text(visitor_text=visit)
    deck = PdfReader(tmp_path / "deck.pdf")
    scale, placed = 1.0, None
    for operands, operator in ContentStream(deck.pages[2].get_contents(), deck).operations:
        if operator == b"cm":
            scale *= float(operands[0])
        if operator == b"Do":
            placed = scale
    assert placed is not None and sizes, "the slide draws no frame, or the frame has no text"
    return min(sizes) * placed


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
@pytest.mark.skipif(PDFLATEX is None or not has_beamer(), reason="pdflatex with Beamer is not installed")
def test_the_deck_shows_the_caption_once_and_fitted_frames_make_its_graph_text_larger(lecture_fn, tmp_path):
    def frames(**fit):
        return viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse", **fit)

    plain = smallest_text_on_slide(tmp_path, frames())
    from pypdf import PdfReader
    assert "pass it back through" in frames().captions[2]
    assert "pass it back through" not in PdfReader(tmp_path / "deck-frames.pdf").pages[2].extract_text()
    assert PdfReader(tmp_path / "deck.pdf").pages[2].extract_text().count("pass it back through") == 1
    fitted = smallest_text_on_slide(tmp_path, frames(aspect=viz.BEAMER_BODY, title=False, shared_layout=False))
    print(f"smallest graph text on the slide: {plain:.2f} pt unfitted, {fitted:.2f} pt fitted to the body")
    assert fitted >= 2 * plain and fitted >= 5.0, (plain, fitted)
