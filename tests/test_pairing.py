"""Chapter pairs: every source has an executed notebook with the same cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from book_tools import REPO_ROOT, chapter_pairs, pairing_problems


def test_every_chapter_is_paired_and_executed() -> None:
    assert chapter_pairs(), "the book has no chapters"
    assert pairing_problems() == []


def test_jupytext_config_pairs_chapters_with_notebooks() -> None:
    from jupytext.config import load_jupytext_configuration_file

    from jupytext.paired_paths import paired_paths

    config = load_jupytext_configuration_file(str(REPO_ROOT / "jupytext.toml"))
    formats = config.default_formats("notebooks/01-pipeline.ipynb")
    paths = [path for path, _ in paired_paths("notebooks/01-pipeline.ipynb", "ipynb", formats)]
    assert paths == ["notebooks/01-pipeline.ipynb", "chapters/01-pipeline.py"]


@pytest.fixture
def book_copy(tmp_path: Path) -> Path:
    """A copy of the chapters and notebooks that a test may break."""
    for folder in ("chapters", "notebooks"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    assert pairing_problems(tmp_path) == []
    return tmp_path


def test_editing_a_source_without_executing_is_caught(book_copy: Path) -> None:
    source = sorted((book_copy / "chapters").glob("*.py"))[0]
    source.write_text(source.read_text() + '\n# %%\nprint("a cell added after execution")\n')
    problems = pairing_problems(book_copy)
    assert any("differ" in problem and source.stem in problem for problem in problems), problems


def test_editing_prose_without_executing_is_caught(book_copy: Path) -> None:
    source = sorted((book_copy / "chapters").glob("*.py"))[0]
    text = source.read_text()
    source.write_text(text.replace("# %% [markdown]\n# ", "# %% [markdown]\n# Edited. ", 1))
    assert any("differ" in problem for problem in pairing_problems(book_copy))


def test_an_unexecuted_cell_is_caught(book_copy: Path) -> None:
    notebook_path = sorted((book_copy / "notebooks").glob("*.ipynb"))[0]
    notebook = nbformat.read(notebook_path, as_version=4)
    next(cell for cell in notebook.cells if cell.cell_type == "code").execution_count = None
    nbformat.write(notebook, notebook_path)
    assert any("never executed" in problem for problem in pairing_problems(book_copy))


def test_a_notebook_without_source_is_caught(book_copy: Path) -> None:
    source = sorted((book_copy / "chapters").glob("*.py"))[0]
    source.rename(source.with_name("99-renamed.py"))
    problems = pairing_problems(book_copy)
    assert any("has no source" in problem for problem in problems), problems
