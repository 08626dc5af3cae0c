"""``python -m viz``: graphs from scripts (module-level result, last returned graph, --fn) and from models."""
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


@pytest.mark.parametrize("argv, message", [
    (["--out", "x.svg"], "either a script or --model"),
    (["--model", "nosuchnet", "--out", "x.svg"], "unknown model"),
    (["--model", "lenet5", "--out", "x.bmp"], r"\.svg, \.png"),
    ([str(ROOT / "examples" / "autodiff_modes.py"), "--fn", "f", "--out", "x.svg"], "takes 2 numbers"),
])
def test_bad_command_lines_explain_themselves(argv, message, capsys):
    with pytest.raises((SystemExit, ValueError)) as error:
        main(argv)
    assert re.search(message, str(error.value) + capsys.readouterr().err)
