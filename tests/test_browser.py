"""A chapter in JupyterLab, in a real browser: Run All finishes without an error, a figure and a widget show.

JupyterLab runs headless on localhost (a free port, a token, its own config, settings and workspace folders) over a
temporary copy of the chapter, so the stored notebook is never touched. Playwright for Python drives Debian's Chromium
(/usr/bin/chromium; Playwright's own browser download is not used) and aborts every request that leaves localhost.
Screenshots and the server log are kept in tests/artifacts/ (gitignored).

Errors are read from JupyterLab's notebook model (exposed with --LabApp.expose_app_in_browser): in the DOM an error
output renders exactly like text on stderr (both `data-mime-type="application/vnd.jupyter.stderr"`), and a chapter may
show an explained warning on stderr. Visibility (figure, widget, prompts) is checked in the DOM.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from book_tools import EXECUTION_ENV, KERNEL_NAME

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts"
FIGURE_CHAPTER = NOTEBOOKS / "05-encoder-heads.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Appended to the temporary copy only while no chapter shows a widget of its own.
WIDGET_CELL = 'import ipywidgets\n\nipywidgets.IntSlider(value=3, min=0, max=5, description="layer")'
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_S, PAGE_READY_S, RUN_ALL_S = 120, 120, 420  # generous: the test machine's 2 cores are often shared


# --------------------------------------------------------------------------------------------- what to open
@dataclass(frozen=True)
class Target:
    """One notebook to open in JupyterLab and what must be visible after Run All."""

    source: Path
    figure: bool
    widget: bool
    add_widget_cell: bool = False

    @property
    def id(self) -> str:
        return self.source.stem + ("+widget-cell" if self.add_widget_cell else "")


def _stored_mimes(path: Path) -> set[str]:
    notebook = nbformat.read(path, as_version=4)
    return {mime for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) for mime in output.get("data", {})}


def plan() -> list[Target]:
    """Prefer a chapter with a real widget; chapter 05 (figures) plus a test-only widget cell until one exists."""
    with_widget = [path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) if WIDGET_MIME in _stored_mimes(path)]
    both = [path for path in with_widget if "image/png" in _stored_mimes(path)]
    if both:
        return [Target(both[0], figure=True, widget=True)]
    if with_widget:
        return [Target(FIGURE_CHAPTER, figure=True, widget=False), Target(with_widget[0], figure=False, widget=True)]
    return [Target(FIGURE_CHAPTER, figure=True, widget=True, add_widget_cell=True)]


def fresh_copy(target: Target, folder: Path) -> str:
    """Write the notebook with no outputs, counts, widget state or jupytext pairing; return its name in folder."""
    notebook = nbformat.read(target.source, as_version=4)
    notebook.metadata.pop("jupytext", None)  # the pairing would point a save at chapters/ outside the copy
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if target.add_widget_cell:
        notebook.cells.append(nbformat.v4.new_code_cell(WIDGET_CELL))
    name = target.source.name
    nbformat.write(notebook, folder / name)
    return name


# ------------------------------------------------------------------------------------------------ JupyterLab
@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(lab_url: str, token: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(f"{lab_url}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def _start_lab(base: Path) -> tuple[subprocess.Popen, Lab]:
    root, log = base / "notebooks", base / "jupyterlab.log"
    root.mkdir(exist_ok=True)
    settings = base / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # No "get notified about official Jupyter news?" prompt and no update check, as a reader could set them.
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "JPY_"))}
    env.update(EXECUTION_ENV)  # the kernels get the environment the notebooks were executed with
    for variable, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                             ("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                             ("IPYTHONDIR", "ipython")]:
        env[variable] = str(base / folder)  # nothing from the user's own Jupyter setup, nothing left behind
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "lab-settings")
    token = secrets.token_hex(16)
    for _attempt in range(3):  # a free port can be taken between the probe and the bind: try another
        port = _free_port()
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True",
            "--LabApp.news_url=None",  # no announcements feed
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",  # no version check
            "--LabApp.extension_manager=readonly",  # no PyPI queries from the extension manager
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the notebook model, for error outputs
        ]
        with log.open("a") as log_file:
            process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                                       stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_S
        while process.poll() is None and time.monotonic() < deadline:
            try:
                _api(url, token, "/api/status")
                return process, Lab(url=url, token=token, root=root, log=log)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        _stop_lab(process, None)
    pytest.fail(f"JupyterLab did not start; its log ends with:\n{log.read_text()[-3000:]}")


def _stop_lab(process: subprocess.Popen, lab: Lab | None) -> None:
    if process.poll() is None and lab is not None:
        try:
            _api(lab.url, lab.token, "/api/shutdown", method="POST")  # also shuts the kernels down
            process.wait(timeout=20)
        except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def lab(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on localhost, started only once there is a browser to drive it (so a skip costs nothing)."""
    process, started = _start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield started
    finally:
        _stop_lab(process, started)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(started.log, ARTIFACTS / "jupyterlab.log")


# --------------------------------------------------------------------------------------------------- browser
def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = (f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium` "
                   "(.ci/run does this when it runs as root or with sudo)")
        if _in_ci():
            pytest.fail(message + "; CI must run the browser test")
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is a dev requirement: install the book with the README's setup command")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    page: Any  # playwright.sync_api.Page
    blocked: list[str]  # the requests that tried to leave localhost, aborted


@pytest.fixture
def tab(browser: Any, lab: Lab) -> Iterator[Tab]:
    """A page in a fresh browser context whose every request away from localhost is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def only_localhost(route: Any) -> None:
        parts = urllib.parse.urlsplit(route.request.url)
        if parts.scheme in {"data", "blob"} or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)  # every page of the context, popups included
    try:
        yield Tab(context.new_page(), blocked)
    finally:
        context.close()
        for session in _api(lab.url, lab.token, "/api/sessions"):  # the next test must not share the CPU with it
            _api(lab.url, lab.token, f"/api/sessions/{session['id']}", method="DELETE")


# ------------------------------------------------------------------------------------------ drive JupyterLab
_FIND_PANEL = """(path) => Array.from(window.jupyterapp?.shell.widgets('main') ?? [])
    .find(w => w.context?.path === path && w.content?.model)"""

_STATE = """(path) => {
  const panel = (%s)(path);
  if (!panel) return null;
  const cells = [];
  const model = panel.content.model.cells;
  for (let i = 0; i < model.length; i++) {
    const cell = model.get(i);
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      index: i,
      count: cell.executionCount,
      running: cell.executionState === 'running',
      errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
    });
  }
  const prompts = Array.from(panel.node.querySelectorAll('.jp-InputArea-prompt'), p => p.textContent.trim());
  return {
    id: panel.id,
    kernel: panel.sessionContext.session?.kernel?.status ?? 'none',
    queued: prompts.filter(p => p.includes('*')).length,
    cells,
  };
}""" % _FIND_PANEL


@dataclass
class LabRun:
    """What JupyterLab showed after Run All on one notebook."""

    name: str
    code_cells: int
    unexecuted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    figures: int = 0
    widgets: int = 0
    widget_failures: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"jupyterlab-{name}.png"
    page.screenshot(path=str(path))
    return path


def _show(page: Any, locator: Any) -> bool:
    """Scroll the output's cell to the top of the notebook and tell whether the output is in view and painted."""
    if locator.count() == 0:
        return False
    # First bring the cell near (content-visibility windowing lays it out on the next frames), then scroll so the
    # whole output shows with as much of its code above it as fits.
    locator.evaluate("node => (node.closest('.jp-Cell') ?? node).scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    locator.evaluate("node => { const out = node.closest('.jp-OutputArea-child') ?? node;"
                     " out.scrollIntoView({block: out.getBoundingClientRect().height < window.innerHeight - 120"
                     " ? 'end' : 'start'}); }")
    page.wait_for_timeout(300)
    return locator.is_visible() and locator.evaluate(
        "node => { const r = node.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.bottom > 0"
        " && r.top < window.innerHeight; }")


def run_all_in_jupyterlab(tab: Tab, lab: Lab, name: str, shot: str) -> LabRun:
    """Open name in a fresh workspace, Run All Cells from the Run menu, wait for the kernel, report what shows."""
    page = tab.page
    seconds: dict[str, float] = {}
    start = time.monotonic()
    workspace = secrets.token_hex(4)
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{urllib.parse.quote(name)}?reset&token={lab.token}")
    page.wait_for_function(
        f"(path) => {{ const p = ({_FIND_PANEL})(path); return p && p.context.isReady"
        " && p.sessionContext.session?.kernel?.status === 'idle'; }",
        arg=name, timeout=PAGE_READY_S * 1000, polling=250)
    seconds["open"] = time.monotonic() - start

    start = time.monotonic()
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu .lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()
    state, settled = None, 0
    deadline = time.monotonic() + RUN_ALL_S
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE, name)
        if state["kernel"] in {"dead", "none", "unknown"}:
            break
        started = any(cell["count"] is not None or cell["errors"] for cell in state["cells"])
        busy = state["kernel"] != "idle" or state["queued"] or any(cell["running"] for cell in state["cells"])
        settled = settled + 1 if started and not busy else 0
        if settled >= 2:  # idle on two polls in a row: the last outputs have arrived
            break
        page.wait_for_timeout(500)
    else:
        _screenshot(page, f"{shot}-timeout")
        pytest.fail(f"Run All on {name} did not finish within {RUN_ALL_S} s; last state: {state}")
    seconds["run_all"] = time.monotonic() - start

    panel = page.locator(f"[id='{state['id']}']")
    figure = panel.locator(".jp-OutputArea-output.jp-RenderedImage img").first
    widget = panel.locator(".jp-OutputArea-output .jupyter-widgets").first
    run = LabRun(
        name=name,
        code_cells=len(state["cells"]),
        unexecuted=[cell["index"] for cell in state["cells"] if cell["count"] is None],
        errors=[f"cell {cell['index']}: {error}" for cell in state["cells"] for error in cell["errors"]],
        widget_failures=[text for text in panel.locator(".jp-OutputArea-output").all_inner_texts()
                         if "Error displaying widget" in text or "Loading widget" in text],
        blocked_requests=list(tab.blocked),
        seconds=seconds,
    )
    if _show(page, figure) and figure.evaluate("img => img.complete && img.naturalWidth > 0"):
        run.figures = panel.locator(".jp-OutputArea-output.jp-RenderedImage img").count()
        _screenshot(page, f"{shot}-figure")
    if _show(page, widget):
        run.widgets = panel.locator(".jp-OutputArea-output .jupyter-widgets").count()
        _screenshot(page, f"{shot}-widget")
    if not run.figures and not run.widgets:
        _screenshot(page, shot)
    return run


def problems(run: LabRun, figure: bool, widget: bool) -> list[str]:
    """Everything that makes a run fail: an error output, a cell left unexecuted, a missing figure or widget."""
    found = [f"error output in {run.name}, {error}" for error in run.errors]
    if run.unexecuted:
        found.append(f"code cells never executed in {run.name}: {run.unexecuted}")
    if run.code_cells == 0:
        found.append(f"{run.name} shows no code cell")
    if figure and not run.figures:
        found.append(f"no figure (an <img> output) visible in {run.name}")
    if widget and not run.widgets:
        found.append(f"no ipywidgets widget visible in {run.name}")
    found += [f"a widget failed to render in {run.name}: {text[:120]!r}" for text in run.widget_failures]
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("target", plan(), ids=lambda target: target.id)
def test_a_chapter_runs_in_jupyterlab(target: Target, lab: Lab, tab: Tab) -> None:
    stored = _digest(target.source)
    name = fresh_copy(target, lab.root)
    run = run_all_in_jupyterlab(tab, lab, name, shot=target.id)
    print(f"{target.id}: {run.code_cells} code cells, {run.figures} figures, {run.widgets} widgets, "
          f"open {run.seconds['open']:.1f} s, run all {run.seconds['run_all']:.1f} s")

    assert problems(run, figure=target.figure, widget=target.widget) == []
    expected_cells = sum(cell.cell_type == "code" for cell in nbformat.read(lab.root / name, as_version=4).cells)
    assert run.code_cells == expected_cells
    # The only outside requests are ones the notebook itself names (the Colab badge image): none from JupyterLab.
    text = (lab.root / name).read_text()
    assert [url for url in run.blocked_requests if url not in text] == []
    assert _digest(target.source) == stored, "the repository's notebook must not change"


def test_the_browser_check_reports_an_error(lab: Lab, tab: Tab) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
    notebook.cells = [
        nbformat.v4.new_code_cell('import sys\nprint("an explained warning goes to stderr", file=sys.stderr)'),
        nbformat.v4.new_code_cell('raise ValueError("deliberately broken cell")'),
        nbformat.v4.new_code_cell('print("never reached")'),
    ]
    nbformat.write(notebook, lab.root / "broken.ipynb")
    run = run_all_in_jupyterlab(tab, lab, "broken.ipynb", shot="broken")

    found = problems(run, figure=True, widget=True)
    assert found == [
        "error output in broken.ipynb, cell 1: ValueError: deliberately broken cell",
        "code cells never executed in broken.ipynb: [2]",
        "no figure (an <img> output) visible in broken.ipynb",
        "no ipywidgets widget visible in broken.ipynb",
    ]
    # Text on stderr alone is not an error: the first cell ran and counts as executed.
    assert 0 not in run.unexecuted
