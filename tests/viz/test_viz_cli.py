"""``python -m viz``: graphs from scripts (module-level result, last returned graph, --fn) and from models."""
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from viz.__main__ import main

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

ROOT = Path(__file__).resolve().parents[2]


def names_in(svg_path) -> set:
    return set(re.findall(r">([\w.]+)</text>", Path(svg_path).read_text()))


def test_a_module_level_graph_is_drawn(tmp_path, capsys):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import minigrad as mg
        u = mg.Scalar(2.0, name="u")
        w = (u * u).named("w")
        unused = 3
    """))
    main([str(script), "--out", str(tmp_path / "g.svg")])
    assert {"u", "w"} <= names_in(tmp_path / "g.svg")
    assert "wrote" in capsys.readouterr().out


def test_the_last_graph_a_function_returned_is_drawn(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import minigrad as mg

        def square(t):
            return (t * t).named("square")

        def main():
            square(mg.Scalar(1.0, name="first"))
            square(mg.Scalar(2.0, name="second"))

        if __name__ == "__main__":
            main()
    """))
    main([str(script), "--out", str(tmp_path / "g.svg")])
    assert {"second", "square"} <= names_in(tmp_path / "g.svg") and "first" not in names_in(tmp_path / "g.svg")


def test_the_lecture_example_script_from_the_command_line(tmp_path):
    out = tmp_path / "graph.svg"
    result = subprocess.run([sys.executable, "-m", "viz", str(ROOT / "examples" / "autodiff_modes.py"), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert {"x", "y", "a", "b", "c", "f"} <= names_in(out)


def test_steps_of_a_named_function(tmp_path):
    out = tmp_path / "steps.pdf"
    main([str(ROOT / "examples" / "autodiff_modes.py"), "--fn", "f", "--args", "3", "2", "--steps", "reverse",
          "--out", str(out)])
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes())) == 6


def test_a_model_by_name(tmp_path):
    out = tmp_path / "resnet.svg"
    main(["--model", "resnet18", "--depth", "2", "--out", str(out)])
    assert {"layer1.0", "layer4.1", "BasicBlock", "fc"} <= names_in(out)


LECTURE = str(ROOT / "examples" / "autodiff_modes.py")


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.svg"], "either a script or --model"),
    (["--model", "nosuchnet", "--out", "x.svg"], "unknown model"),
    (["--model", "lenet5", "--out", "x.bmp"], r"\.svg, \.png"),
    (["--model", "lenet5", "--depth", "0", "--out", "x.svg"], "depth must be a positive int"),
    (["--model", "lenet5", "--input-shape", "1", "3", "5", "5", "--out", "x.svg"], "cannot take an input"),
    (["--model", "lenet5", "--backward", "--out", "x.svg"], "one-element result"),
    (["--model", "resnet18", "--max-elements", "5", "--out", "x.svg"], "more than max_elements=5"),
    (["nosuchscript.py", "--out", "x.svg"], "no such script"),
    ([LECTURE, "--loss", "--out", "x.svg"], "--loss needs --model"),
    ([LECTURE, "--fn", "f", "--out", "x.svg"], "takes 2 numbers"),
    ([LECTURE, "--fn", "nofn", "--out", "x.svg"], "no function 'nofn'"),
    ([LECTURE, "--fn", "f", "--args", "3", "two", "--out", "x.svg"], "expected a number, a JSON list"),
    (["--model", "lenet5", "--out", "x.svg", "--bogus"], "unrecognized arguments"),
])
def test_bad_command_lines_are_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as error:
        main(argv)
    assert error.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("python -m viz: error: ")
    assert re.search(message, err)
    assert os.listdir(tmp_path) == []


def test_only_buildable_models_are_offered(capsys):
    from viz.__main__ import buildable_models
    offered = buildable_models()
    assert {"lenet5", "resnet18", "resnet34", "vgg", "nin"} <= set(offered)
    assert "basicblock" not in offered and "resnet" not in offered
    for make in offered.values():
        assert callable(make)


def test_a_script_prints_nothing_and_fn_takes_tensors(tmp_path, capsys):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import minigrad as mg
        print("chatty script output")

        def loss(w, x):
            return ((w @ x).tanh().sum()).named("loss")
    """))
    main([str(script), "--fn", "loss", "--args", "[[1, 2], [3, 4]]", "2x1", "--backward", "--out",
          str(tmp_path / "g.svg")])
    out = capsys.readouterr().out
    assert "chatty" not in out and "wrote" in out
    svg = (tmp_path / "g.svg").read_text()
    assert {"w", "x", "loss"} <= names_in(tmp_path / "g.svg") and "2×2 float32" in svg and "grad" in svg


def test_a_models_loss_with_gradients(tmp_path):
    out = tmp_path / "lenet.svg"
    main(["--model", "lenet5", "--depth", "1", "--loss", "--backward", "--flow", "--out", str(out)])
    assert {"loss", "features"} <= names_in(out) or "loss" in names_in(out)
    assert "gradient norm along edges" in out.read_text()
