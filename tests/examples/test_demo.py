"""`make demo`'s script, on a small slice of the bundled sample: it runs offline and writes every file."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def test_demo_prints_the_lecture_tables_and_writes_its_pictures(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py"), "--out", str(out), "--epochs", "1",
                           "--limit-train", "512", "--quiet"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0.891542" in proc.stdout and "1.46919" in proc.stdout  # ∂f/∂x, ∂f/∂y of the lecture
    expected = ("lecture_graph.svg", "lecture_graph.png", "lecture_steps_forward.pdf", "lecture_steps_forward.gif",
                "lecture_steps_reverse.pdf", "lecture_steps_reverse.gif", "metrics.json", "curves.png",
                "checkpoint.npz", "grad_flow.png", "steps.html", "deck.tex", "deck-frames.pdf")
    for name in expected + (("deck.pdf",) if shutil.which("pdflatex") else ()):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
        assert str(path) in proc.stdout or name == "deck-frames.pdf"
    with Image.open(out / "lecture_steps_forward.gif") as gif:
        assert gif.n_frames == 6  # one frame per step of the trace's forward table: x, y, a, b, c, f
    assert not [n for n in os.listdir(out) if n.startswith(".") or n.endswith((".aux", ".log", ".nav"))]
    assert (out / "steps.html").read_text(encoding="utf-8").count("<svg") == 6
