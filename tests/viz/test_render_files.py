"""viz.render: the format comes from the suffix, files appear whole or not at all, and a missing dot
binary is reported up front with install instructions."""
import os
import shutil

import pytest

import viz
import viz.rendering as rendering

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

MAGIC = {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF", "gv": b"digraph"}


@pytest.mark.parametrize("suffix", ["svg", "png", "pdf", "gv", "dot"])
def test_render_picks_the_format_from_the_suffix(lecture, tmp_path, suffix):
    *_, f = lecture
    path = viz.render(viz.draw(f), tmp_path / f"graph.{suffix}")
    data = open(path, "rb").read()
    assert data.startswith(MAGIC["gv" if suffix == "dot" else suffix])
    assert os.listdir(tmp_path) == [f"graph.{suffix}"]


def test_render_replaces_a_file_atomically_and_leaves_no_temporary_files(lecture, tmp_path):
    *_, f = lecture
    target = tmp_path / "graph.svg"
    target.write_text("old")
    viz.render(viz.draw(f), target)
    assert b"<svg" in target.read_bytes() and os.listdir(tmp_path) == ["graph.svg"]


def test_a_failed_render_keeps_the_old_file(lecture, tmp_path, monkeypatch):
    *_, f = lecture
    target = tmp_path / "graph.png"
    target.write_bytes(b"old picture")
    written = []

    def fail_after_half(fd, mode):
        class Half:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                os.close(fd)

            def write(self, data):
                written.append(len(data))
                raise OSError("disk full")
        return Half()

    monkeypatch.setattr(rendering.os, "fdopen", fail_after_half)
    with pytest.raises(OSError, match="disk full"):
        viz.render(viz.draw(f), target)
    assert written and target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["graph.png"]


def test_an_unknown_suffix_is_refused(lecture, tmp_path):
    *_, f = lecture
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf"):
        viz.render(viz.draw(f), tmp_path / "graph.bmp")
    with pytest.raises(TypeError, match="Digraph"):
        viz.render("digraph {}", tmp_path / "graph.svg")
    assert os.listdir(tmp_path) == []


def test_png_resolution_follows_dpi(lecture, tmp_path):
    from PIL import Image
    *_, f = lecture
    small = Image.open(viz.render(viz.draw(f), tmp_path / "small.png", dpi=50)).size
    large = Image.open(viz.render(viz.draw(f), tmp_path / "large.png", dpi=100)).size
    assert large[0] == pytest.approx(2 * small[0], rel=0.02)


def test_missing_dot_is_detected_up_front_with_an_install_hint(lecture, lecture_fn, tmp_path, monkeypatch):
    import minigrad as mg
    *_, f = lecture
    graph = viz.draw(f)
    frames = viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"))
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    for attempt in (lambda: viz.render(graph, tmp_path / "graph.svg"),
                    lambda: viz.save_steps(frames, tmp_path / "steps.pdf"),
                    lambda: graph._repr_mimebundle_()):
        with pytest.raises(viz.DotNotFoundError) as error:
            attempt()
        message = str(error.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "conda install graphviz" in message
    assert os.listdir(tmp_path) == []
    assert viz.render(graph, tmp_path / "graph.gv")  # the source needs no dot


@pytest.mark.parametrize("dpi", [0, -72, 5000, "300", True, float("nan")])
def test_a_bad_dpi_is_refused_before_anything_is_written(lecture, tmp_path, dpi):
    *_, f = lecture
    with pytest.raises(ValueError, match="dpi must be a number from 1 to 1200"):
        viz.render(viz.draw(f), tmp_path / "graph.png", dpi=dpi)
    assert os.listdir(tmp_path) == []


def test_a_hung_dot_is_stopped_by_the_timeout(lecture, tmp_path, monkeypatch):
    import time
    *_, f = lecture
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within 0.5 s"):
        viz.render(viz.draw(f), tmp_path / "graph.svg", timeout=0.5)
    assert time.monotonic() - start < 10
    assert os.listdir(tmp_path) == ["bin"]
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        viz.render(viz.draw(f), tmp_path / "graph.svg", timeout=0)
