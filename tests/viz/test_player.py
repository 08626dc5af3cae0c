"""The HTML step-through player: one self-contained file (inline SVG, no external resources), and in a
real headless Chromium pressing "next", the arrow keys or the slider changes the visible frame and the
caption to the trace's next step."""
import re
import shutil

import pytest

import minigrad as mg
import viz

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def reverse_frames(lecture_fn):
    return viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse")


def test_the_player_is_one_self_contained_file(reverse_frames, tmp_path):
    path = viz.save_player(reverse_frames, tmp_path / "steps.html")
    page = open(path, encoding="utf-8").read()
    assert page.count("<svg") == len(reverse_frames) == 6
    assert not re.search(r'(src|href)=["\']?(https?:)?//', page)       # no CDN, nothing fetched
    assert "<script>" in page and "<script src" not in page
    assert page.count('class="mg-frame"') == 6 and page.count(" hidden>") == 5
    assert reverse_frames.captions[2] == "Reverse mode · step 2: ∂f/∂b = 1 + 0.3373 = 1.337; pass it back " \
                                         "through ·: upstream × local = downstream"
    assert "1 + 0.3373 = 1.337" in page


def test_jupyter_shows_frames_traces_and_graphs_as_pictures(reverse_frames, lecture_fn, lecture):
    assert reverse_frames._repr_html_().count("<svg") == 6
    table = mg.trace(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"))
    assert table._repr_html_().count('class="mg-player"') == 2     # forward and reverse
    *_, f = lecture
    assert f._repr_svg_().startswith("<svg") and mg.Scalar(1.0)._repr_svg_() is None
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    assert (w * w).sum()._repr_svg_().startswith("<svg") and (w * w)._repr_svg_() is None   # numbers win


def test_an_empty_player_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        viz.save_player([], tmp_path / "steps.html")


@pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                    reason="headless Chromium and chromedriver are not installed (apt-get install chromium "
                           "chromium-driver)")
def test_next_prev_keys_and_slider_in_a_real_browser(reverse_frames, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="the selenium package is not installed")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = viz.save_player(reverse_frames, tmp_path / "steps.html")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    try:
        browser.get(f"file://{path}")

        def visible():
            shown = [f for f in browser.find_elements(By.CSS_SELECTOR, ".mg-frame") if f.is_displayed()]
            assert len(shown) == 1
            return int(shown[0].get_attribute("data-step")), \
                browser.find_element(By.CSS_SELECTOR, ".mg-caption").text

        assert visible() == (0, reverse_frames.captions[0])
        browser.find_element(By.CSS_SELECTOR, ".mg-next").click()
        assert visible() == (1, reverse_frames.captions[1])
        browser.find_element(By.CSS_SELECTOR, ".mg-next").click()
        step, caption = visible()
        assert step == 2 and "∂f/∂b = 1 + 0.3373 = 1.337" in caption
        browser.find_element(By.CSS_SELECTOR, ".mg-prev").click()
        assert visible()[0] == 1
        player = browser.find_element(By.CSS_SELECTOR, ".mg-player")
        player.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        assert visible() == (4, reverse_frames.captions[4])
        for _ in range(5):
            browser.find_element(By.CSS_SELECTOR, ".mg-next").click()
        assert visible()[0] == 5                                  # stops at the last step
        browser.execute_script("var s = document.querySelector('.mg-slider'); s.value = 3;"
                               "s.dispatchEvent(new Event('input'));")
        assert visible() == (3, reverse_frames.captions[3])
    finally:
        browser.quit()
