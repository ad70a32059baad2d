"""The attention explorer: the right widgets and pictures in Python, and, in a browser with no kernel, sliders that
still switch the picture.

The browser tests export a notebook to HTML with nbconvert, exactly as a reader would download it, and open the page
in Debian's Chromium through Playwright. The page asks two CDNs for require.js and the widget manager; the test
answers those requests from the npm packages pinned in tests/browser/ (installed with `npm ci` into .cache/) and
aborts every other request that leaves the page, so nothing but the saved widget state can make the sliders work.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import ipywidgets as widgets
import nbformat
import pytest
import torch
from PIL import Image

from structapi.explorer import GREYS, LEVELS, AttentionExplorer, _Frame, attention_explorer, attention_png, heatmap_colours

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYERS, HEADS, SEQ = 3, 4, 5
TOKENS = ["[CLS]", "i", "love", "it", "[SEP]"]
CHROMIUM = Path("/usr/bin/chromium")
CHAPTER = REPO_ROOT / "notebooks" / "08-attention-and-hidden-states.ipynb"


def fake_attentions(seed: int, layers: int = LAYERS, heads: int = HEADS, seq: int = SEQ) -> tuple[torch.Tensor, ...]:
    """What output_attentions=True returns for one sentence: one (1, heads, seq, seq) tensor per layer, rows sum to 1."""
    generator = torch.Generator().manual_seed(seed)
    return tuple((3 * torch.rand(1, heads, seq, seq, generator=generator)).softmax(-1) for _ in range(layers))


# ---------------------------------------------------------------------------------------------- in Python


def test_png_shows_each_weight_in_its_cell() -> None:
    weights = fake_attentions(0)[1][0, 2]
    frame = _Frame(TOKENS, TOKENS, size=3.0, dpi=60)
    picture = Image.open(io.BytesIO(frame.png(weights)))
    assert picture.mode == "P"
    height = frame.rows.stop - frame.rows.start
    width = frame.columns.stop - frame.columns.start
    colours = heatmap_colours()
    rgb = picture.convert("RGB")
    for query in range(SEQ):
        for key in range(SEQ):
            y = frame.rows.start + int((query + 0.5) * height / SEQ)
            x = frame.columns.start + int((key + 0.5) * width / SEQ)
            level = min(int(weights[query, key] * LEVELS), LEVELS - 1)
            assert picture.getpixel((x, y)) == GREYS + level
            assert rgb.getpixel((x, y)) == tuple(colours[level])


def test_frame_and_heatmap_together_make_the_whole_picture() -> None:
    weights = fake_attentions(0)[2][0, 1]
    frame = _Frame(TOKENS, TOKENS, size=3.0, dpi=60)
    whole = Image.open(io.BytesIO(frame.png(weights))).convert("RGB")
    background = Image.open(io.BytesIO(frame.frame_png())).convert("RGB")
    square = Image.open(io.BytesIO(frame.heatmap_png(weights))).convert("RGB")
    assert background.size == whole.size == frame.size and square.size == frame.heatmap_size
    background.paste(square, frame.offset)  # what the page does: the square laid over the frame at the offset
    assert background.tobytes() == whole.tobytes()
    # The frame's empty axes already show the colour of weight 0.
    left, top = frame.offset
    assert Image.open(io.BytesIO(frame.frame_png())).convert("RGB").getpixel((left + 1, top + 1)) == tuple(heatmap_colours()[0])


def test_a_head_costs_far_fewer_bytes_than_the_frame() -> None:
    frame = _Frame(TOKENS, TOKENS, size=3.0, dpi=60)
    assert len(frame.heatmap_png(fake_attentions(0)[0][0, 0])) * 2 < len(frame.frame_png())


def test_png_bytes_depend_only_on_the_weights() -> None:
    attentions = fake_attentions(0)
    first = attention_png(attentions, TOKENS, layer=2, head=1)
    assert first == attention_png(attentions, TOKENS, layer=2, head=1)
    assert first != attention_png(attentions, TOKENS, layer=2, head=0)
    assert first.startswith(b"\x89PNG") and b"Software" not in first and b"tIME" not in first


def test_explorer_stacks_one_picture_per_sentence_layer_and_head() -> None:
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS), "two": (fake_attentions(1), TOKENS)})
    assert isinstance(explorer, AttentionExplorer)
    assert len(explorer.images) == 2 * LAYERS * HEADS
    sentences = explorer.stack.children  # one grid per sentence: its frame, and over it the stack of layers
    assert len(sentences) == 2 and all(isinstance(grid, widgets.GridBox) for grid in sentences)
    frames, layer_stacks = zip(*(grid.children for grid in sentences))
    assert all("explorer-frame" in frame._dom_classes for frame in frames)
    assert all(len(layer_stack.children) == LAYERS for layer_stack in layer_stacks)
    picture = layer_stacks[1].children[2].children[3]
    assert isinstance(picture, widgets.Image) and picture.value == explorer.images["two", 2, 3]
    assert "explorer-heatmap" in picture._dom_classes
    assert explorer.sentence_menu.options == ("one", "two")
    assert explorer.layer_slider.options == tuple((str(layer), layer) for layer in range(LAYERS))
    assert explorer.head_slider.options == tuple((str(head), head) for head in range(HEADS))


def test_every_stack_is_linked_in_the_browser() -> None:
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS), "two": (fake_attentions(1), TOKENS)})
    pairs = {(link.source[0].model_id, link.source[1], link.target[0].model_id) for link in explorer.links}
    assert all(isinstance(link, widgets.widget_link.Link) for link in explorer.links)  # jslink, not a kernel-side link
    assert all(link.target[1] == "selected_index" for link in explorer.links)
    layer_stacks = [grid.children[1] for grid in explorer.stack.children]
    head_stacks = [stack for layer_stack in layer_stacks for stack in layer_stack.children]
    expected = {(explorer.sentence_menu.model_id, "index", explorer.stack.model_id)}
    expected |= {(explorer.layer_slider.model_id, "index", stack.model_id) for stack in layer_stacks}
    expected |= {(explorer.head_slider.model_id, "index", stack.model_id) for stack in head_stacks}
    assert pairs == expected and len(explorer.links) == 1 + 2 + 2 * LAYERS


def test_a_choice_of_layers_and_heads_keeps_their_numbers() -> None:
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS)}, layers=[0, 2], heads=[1, 3])
    assert explorer.sentence_menu is None and explorer.children[0].children == (explorer.layer_slider, explorer.head_slider)
    assert explorer.layer_slider.options == (("0", 0), ("2", 2)) and explorer.head_slider.options == (("1", 1), ("3", 3))
    assert sorted(explorer.images) == [("one", 0, 1), ("one", 0, 3), ("one", 2, 1), ("one", 2, 3)]


def test_the_heads_lie_exactly_over_the_frames_axes() -> None:
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS)}, size=3.0, dpi=60)
    frame = _Frame(TOKENS, TOKENS, size=3.0, dpi=60)
    background, layer_stack = explorer.stack.children
    (left, top), (width, height) = frame.offset, frame.heatmap_size
    assert background.layout.grid_area == layer_stack.layout.grid_area == "picture"
    assert background.layout.width == f"{frame.size[0]}px" and background.layout.height == f"{frame.size[1]}px"
    assert layer_stack.layout.margin == f"{top}px 0 0 {left}px"
    assert (layer_stack.layout.width, layer_stack.layout.height) == (f"{width}px", f"{height}px")


def test_the_heads_share_one_layout() -> None:
    """Every widget's Layout is saved as a model of its own: sharing one keeps the notebook small."""
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS)})
    heads = [picture for stack in explorer.stack.children[1].children for picture in stack.children]
    assert len(heads) == LAYERS * HEADS and len({id(picture.layout) for picture in heads}) == 1


def test_the_widget_text_stays_short() -> None:
    explorer = attention_explorer({"one": (fake_attentions(0), TOKENS)})
    text = explorer._repr_mimebundle_()["text/plain"]
    assert len(text) <= 111 and "PNG" not in text


@pytest.mark.parametrize(("examples", "kwargs", "error", "message"), [
    ({}, {}, ValueError, r"examples must be a non-empty dict \{label: \(attentions, tokens\)\}"),
    ({"one": fake_attentions(0)}, {}, ValueError, r"examples\['one'\] must be a pair \(attentions, tokens\)"),
    ({"one": ((), TOKENS)}, {}, ValueError, 'an empty tuple means the model ran with SDPA attention'),
    ({"one": (fake_attentions(0), TOKENS[:-1])}, {}, ValueError, "4 key tokens given, but the attention has 5 key"),
    ({"one": (fake_attentions(0), TOKENS)}, {"layers": [3]}, IndexError, r"layer 3 is out of range: the model has 3 "
     r"layers \(0..2\)"),
    ({"one": (fake_attentions(0), TOKENS)}, {"heads": [0, 4]}, IndexError, r"head 4 is out of range: each layer "
     r"has 4 heads \(0..3\)"),
    ({"one": (fake_attentions(0), TOKENS)}, {"heads": 2}, ValueError, "heads must be a non-empty list of ints"),
    ({"one": (fake_attentions(0), TOKENS), "two": (fake_attentions(1, heads=2), TOKENS)}, {}, ValueError,
     r"every example must come from the same model; got \(layers, heads\) \[\(3, 2\), \(3, 4\)\]"),
    ({"one": ((torch.rand(1, 2, 3, 5).softmax(-1),), TOKENS)}, {}, ValueError, "query_len != key_len"),
])
def test_bad_input_is_explained(examples, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        attention_explorer(examples, **kwargs)


# ---------------------------------------------------------------------------------------------- in a browser

EXPLORER_NOTEBOOK = """\
from unittest import mock

import ipywidgets as widgets
import torch
from IPython.display import display
from structapi.explorer import attention_explorer


def fake(seed):
    generator = torch.Generator().manual_seed(seed)
    return tuple((3 * torch.rand(1, 4, 5, 5, generator=generator)).softmax(-1) for _ in range(3))


tokens = ["[CLS]", "i", "love", "it", "[SEP]"]
linked = attention_explorer({"first": (fake(0), tokens), "second": (fake(1), tokens)})
# The same explorer built with kernel-side links (traitlets) in place of jslink: they work while Python runs,
# but the saved page has no link, so its sliders move and nothing follows them.
with mock.patch.object(widgets, "jslink", widgets.link):
    unlinked = attention_explorer({"first": (fake(0), tokens), "second": (fake(1), tokens)})
display(linked)
display(unlinked)
"""


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if shutil.which("npm") is None:
        return "npm is missing"
    return None


needs_browser = pytest.mark.skipif(_browser_missing() is not None, reason=str(_browser_missing()))


@pytest.fixture(scope="session")
def widget_js() -> dict[str, Path]:
    """Install the pinned npm packages once into .cache/browser-test/ (again only when the lock file changes)."""
    target = REPO_ROOT / ".cache" / "browser-test"
    lock = (REPO_ROOT / "tests" / "browser" / "package-lock.json").read_text()
    stamp = target / "installed-lock.json"
    if not stamp.exists() or stamp.read_text() != lock:
        target.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(REPO_ROOT / "tests" / "browser" / name, target / name)
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=target, check=True,
                       capture_output=True, timeout=600)
        stamp.write_text(lock)
    modules = target / "node_modules"
    return {"require": modules / "requirejs" / "require.js", "manager": modules / "@jupyter-widgets" / "html-manager" / "dist"}


def export_html(notebook: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(notebook)
    return html


@pytest.fixture(scope="module")
def explorer_page_html(tmp_path_factory) -> str:
    """A small notebook with a linked and an unlinked explorer, executed as execute_book.py does, as HTML."""
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(EXPLORER_NOTEBOOK)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("explorer"))}}).execute()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    # Only the linked explorer's jslinks are in the page: 1 sentence menu + 2 layer stacks + 2 x 3 head stacks.
    assert sum(model["model_name"] == "LinkModel" for model in state.values()) == 1 + 2 + 2 * 3
    # Each picture is stored as a base64 buffer of its Image model: 2 explorers x 2 sentences x 3 layers x 4 heads,
    # and one frame per explorer and sentence.
    pictures = [model for model in state.values() if model["model_name"] == "ImageModel"]
    assert len(pictures) == 48 + 4 and all(model["buffers"][0]["encoding"] == "base64" for model in pictures)
    return export_html(notebook)


class OfflinePage:
    """A Chromium page that gets the exported HTML and the two scripts from us and nothing from the network."""

    def __init__(self, page, html: str, widget_js: dict[str, Path]) -> None:
        self.page, self.blocked = page, []
        page.route("**/*", lambda route: self._answer(route, html, widget_js))
        self.errors = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _answer(self, route, html: str, widget_js: dict[str, Path]) -> None:
        url = route.request.url
        if url == "http://book.test/explorer.html":
            route.fulfill(body=html, content_type="text/html")
        elif re.search(r"/require(\.min)?\.js$", url):
            route.fulfill(path=str(widget_js["require"]), content_type="application/javascript")
        elif (match := re.search(r"/@jupyter-widgets/html-manager@[^/]*/dist/([\w.-]+)$", url)) and (
            widget_js["manager"] / match.group(1)
        ).is_file():
            route.fulfill(path=str(widget_js["manager"] / match.group(1)))
        else:  # fonts, MathJax, anything else: the page must work without them
            self.blocked.append(url)
            route.abort()

    def open(self) -> None:
        self.page.goto("http://book.test/explorer.html")
        self.page.wait_for_selector(".attention-explorer img", timeout=30_000)

    def shown_image(self, explorer: int) -> str:
        """The src of the one picture explorer number `explorer` shows (a Stack shows only its selected child)."""
        sources = self.page.locator(".attention-explorer").nth(explorer).locator("img.explorer-heatmap:visible")
        assert sources.count() == 1
        return sources.first.get_attribute("src")

    def overlay(self, explorer: int) -> tuple[float, float, float, float]:
        """Where the shown head lies on the shown frame: (left, top, width, height) in CSS pixels."""
        box = self.page.locator(".attention-explorer").nth(explorer)
        frame = box.locator("img.explorer-frame:visible").bounding_box()
        head = box.locator("img.explorer-heatmap:visible").bounding_box()
        return head["x"] - frame["x"], head["y"] - frame["y"], head["width"], head["height"]

    def readout(self, explorer: int, control: str) -> str:
        return self.page.locator(".attention-explorer").nth(explorer).locator(f".{control} .widget-readout").inner_text()

    def press(self, explorer: int, control: str, key: str) -> None:
        """Move a slider as a reader would with the keyboard: focus its handle, press a key."""
        handle = self.page.locator(".attention-explorer").nth(explorer).locator(f".{control} .noUi-handle")
        handle.focus()
        self.page.keyboard.press(key)

    def choose_sentence(self, explorer: int, label: str) -> None:
        self.page.locator(".attention-explorer").nth(explorer).locator(".explorer-sentence select").select_option(label)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser, widget_js, explorer_page_html):
    context = browser.new_context()
    page = OfflinePage(context.new_page(), explorer_page_html, widget_js)
    page.open()
    yield page
    context.close()


def _changes(page: OfflinePage, explorer: int, action) -> tuple[str, str]:
    before = page.shown_image(explorer)
    action()
    try:
        page.page.wait_for_function(
            "([index, before]) => { const shown = [...document.querySelectorAll('.attention-explorer')[index]"
            ".querySelectorAll('img.explorer-heatmap')].filter(img => img.offsetParent !== null); "
            "return shown.length === 1 && shown[0].src !== before; }",
            arg=[explorer, before], timeout=3_000,
        )
    except Exception:  # a timeout: nothing changed, which the caller asserts on
        pass
    return before, page.shown_image(explorer)


@needs_browser
def test_layer_slider_switches_the_picture_without_a_kernel(offline_page) -> None:
    assert offline_page.readout(0, "explorer-layer") == "0"
    before, after = _changes(offline_page, 0, lambda: offline_page.press(0, "explorer-layer", "ArrowRight"))
    assert offline_page.readout(0, "explorer-layer") == "1"
    assert after != before
    assert not offline_page.errors
    assert not any("/api/kernels" in url or url.startswith("ws") for url in offline_page.blocked)


@needs_browser
def test_the_head_lies_over_the_frames_axes_in_the_page(offline_page) -> None:
    frame = _Frame(TOKENS, TOKENS, size=3.0, dpi=60)  # the explorer's defaults, as EXPLORER_NOTEBOOK builds it
    expected = (*frame.offset, *frame.heatmap_size)
    assert offline_page.overlay(0) == pytest.approx(expected, abs=0.5)
    offline_page.choose_sentence(0, "second")
    offline_page.page.wait_for_timeout(300)
    assert offline_page.overlay(0) == pytest.approx(expected, abs=0.5)


@needs_browser
def test_head_slider_and_sentence_menu_switch_the_picture(offline_page) -> None:
    seen = {offline_page.shown_image(0)}
    for _ in range(3):
        before, after = _changes(offline_page, 0, lambda: offline_page.press(0, "explorer-head", "ArrowRight"))
        assert after != before
        seen.add(after)
    before, after = _changes(offline_page, 0, lambda: offline_page.choose_sentence(0, "second"))
    assert after != before
    seen.add(after)
    assert len(seen) == 5 and offline_page.readout(0, "explorer-head") == "3"


@needs_browser
def test_the_check_fails_for_an_unlinked_slider(offline_page) -> None:
    """The same moves on the explorer whose jslinks were removed: the slider moves, the picture does not."""
    before, after = _changes(offline_page, 1, lambda: offline_page.press(1, "explorer-layer", "ArrowRight"))
    assert offline_page.readout(1, "explorer-layer") == "1"
    assert after == before


def test_the_chapter_notebook_saves_the_explorer_state() -> None:
    if not CHAPTER.exists():
        pytest.skip("the chapter has not been executed yet (python scripts/execute_book.py 08)")
    notebook = nbformat.read(CHAPTER, as_version=4)
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = [model["model_name"] for model in state.values()]
    assert models.count("ImageModel") >= 2 and models.count("StackModel") >= 2 and models.count("LinkModel") >= 2
    assert os.path.getsize(CHAPTER) < 2_000_000


@needs_browser
def test_the_chapter_explorer_works_without_a_kernel(browser, widget_js) -> None:
    if not CHAPTER.exists():
        pytest.skip("the chapter has not been executed yet (python scripts/execute_book.py 08)")
    context = browser.new_context()
    try:
        page = OfflinePage(context.new_page(), export_html(nbformat.read(CHAPTER, as_version=4)), widget_js)
        page.open()
        assert page.page.locator(".attention-explorer").count() == 1
        for control in ("explorer-layer", "explorer-head"):
            before, after = _changes(page, 0, lambda: page.press(0, control, "ArrowRight"))
            assert after != before, control
        assert not page.errors
    finally:
        context.close()
