"""The README's pictures, as PNG and SVG, into docs/img/ (about half a minute on two cores).

    lecture_graph       the lecture's f(x, y) = y·log x + √(y·log x) at x = 3, y = 2 after backward()
    forward_step_3      forward mode, step 3: b = y·a, local × tangent on both edges, their sum at b
    reverse_step_2      reverse mode, step 2: ∂f/∂b = 1 + 0.3373 = 1.337 summed, then passed back through ·
    x_times_x_plus_x    reverse mode of x·x + x: one edge per use of x, 1 + 3 + 3 = 7
    lecture_16x9        a 16:9 reverse frame with larger fonts, as on a slide (viz.steps(..., aspect="16:9"))
    player_frame        the HTML player (viz.save_player) in headless Chromium, when it is installed
    gradient_flow       a 5-layer sigmoid MLP folded by layer, edges coloured by gradient norm
    resnet18_modules    ResNet-18 on a 1×3×32×32 input with each BasicBlock folded into one node
    resnet18_depth3     ResNet-18 at depth 3 fitted to 16:9: inside the blocks, each call of a module its own node
    lenet5_wrapped      LeNet-5 folded at depth 2 in rows of 5, read like lines of text
    init_activations    activation histograms of the 6-layer, 4096-wide network for five initialisations
    optimizers_2d       SGD, momentum, RMSProp and Adam on an ill-conditioned quadratic

    python examples/make_readme_pictures.py [--out docs/img]
"""
import argparse
import os
import sys

import matplotlib

import minigrad as mg
import viz
from minigrad import models, nn
from viz.plots import save_figure

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import init_activations  # noqa: E402  (examples/ is not a package)
from autodiff_modes import f as lecture_f  # noqa: E402
import optimizers_2d  # noqa: E402

GRAPH_DPI = 100
PLOT_DPI = 90


def lecture_inputs():
    return mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")


def sigmoid_mlp_loss():
    mg.manual_seed(0)
    layers = []
    for _ in range(5):
        layers += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 1))
    loss = ((model(mg.randn(32, 16)) - 1.0) ** 2).mean().named("loss")
    return model, loss


def graphs() -> dict:
    f = lecture_f(*lecture_inputs())
    f.backward()
    forward = viz.steps(lecture_f, *lecture_inputs(), mode="forward")
    reverse = viz.steps(lecture_f, *lecture_inputs(), mode="reverse")
    slide = viz.steps(lecture_f, *lecture_inputs(), mode="reverse", aspect="16:9")
    reused = viz.steps(lambda x: x * x + x, mg.Scalar(3.0, name="x"), mode="reverse")
    mlp, loss = sigmoid_mlp_loss()
    mg.manual_seed(0)
    resnet = models.ResNet18()
    out = resnet(mg.randn(1, 3, 32, 32))
    lenet = models.LeNet5()
    lenet_out = lenet(mg.randn(1, 1, 28, 28))
    return {
        "lecture_graph": viz.draw(f),
        "forward_step_3": forward[3],
        "reverse_step_2": reverse[2],
        "x_times_x_plus_x": reused[-1],
        "lecture_16x9": slide[2],
        "gradient_flow": viz.draw(loss, flow=True, modules=mlp, depth=1),
        "resnet18_modules": viz.draw(out, modules=resnet, depth=2, wrap=4),
        "resnet18_depth3": viz.draw(out, modules=resnet, depth=3, aspect="16:9"),
        "lenet5_wrapped": viz.draw(lenet_out, modules=lenet, depth=2, wrap=5),
    }


def player_screenshot(path) -> str | None:
    """A PNG of the HTML player on step 2 of reverse mode, taken in headless Chromium (None without it)."""
    import shutil
    import tempfile

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
    except ImportError:
        return None
    if not chromium or not driver:
        return None
    frames = viz.steps(lecture_f, *lecture_inputs(), mode="reverse")
    with tempfile.TemporaryDirectory() as folder:
        page = viz.save_player(frames, os.path.join(folder, "steps.html"))
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,520"):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver), options=options)
        try:
            browser.get(f"file://{page}")
            for _ in range(2):
                browser.find_element(By.CSS_SELECTOR, ".mg-next").click()
            data = browser.get_screenshot_as_png()
        finally:
            browser.quit()
    viz.rendering.write_atomic(path, data)
    return path


def plots() -> dict:
    mg.manual_seed(0)
    runs = {name: init_activations.activations(init, act, 4096, 6, 16)
            for name, init, act in init_activations.SCHEMES}
    paths = {name: optimizers_2d.path_of(make, 50) for name, make in optimizers_2d.OPTIMIZERS.items()}
    return {"init_activations": viz.plot_activation_stats(runs), "optimizers_2d": optimizers_2d.plot_paths(paths)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "img"))
    args = p.parse_args(argv)
    written = []
    for name, graph in graphs().items():
        written.append(viz.render(graph, os.path.join(args.out, f"{name}.svg")))
        written.append(viz.render(graph, os.path.join(args.out, f"{name}.png"), dpi=GRAPH_DPI))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "minigrad"}):
        for name, fig in plots().items():
            written.append(save_figure(fig, os.path.join(args.out, f"{name}.svg")))
            written.append(save_figure(fig, os.path.join(args.out, f"{name}.png"), dpi=PLOT_DPI))
    shot = player_screenshot(os.path.join(args.out, "player_frame.png"))
    if shot:
        written.append(shot)
    for path in written:
        print(f"{os.path.getsize(path) / 1024:7.1f} KiB  {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
