"""The Quarto book lists every chapter notebook, in reading order, and nothing that does not exist."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text())


def _listed_pages(book: dict) -> list[str]:
    pages: list[str] = []
    for section in ("chapters", "appendices"):
        for entry in book.get(section, []) or []:
            if isinstance(entry, str):
                pages.append(entry)
            else:
                pages.extend(entry.get("chapters", []))
    return pages


def test_quarto_is_a_book_rendered_from_stored_outputs() -> None:
    config = _config()
    assert config["project"]["type"] == "book"
    assert config["execute"]["enabled"] is False


def test_every_listed_page_exists() -> None:
    missing = [page for page in _listed_pages(_config()["book"]) if not (ROOT / page).exists()]
    assert missing == []


def test_every_notebook_is_listed_in_reading_order() -> None:
    listed = [page for page in _listed_pages(_config()["book"]) if page.startswith("notebooks/")]
    on_disk = sorted(f"notebooks/{path.name}" for path in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert listed == on_disk


def test_every_appendix_is_listed() -> None:
    appendices = _config()["book"].get("appendices", [])
    on_disk = sorted(f"chapters/{path.name}" for path in (ROOT / "chapters").glob("appendix-*.qmd"))
    assert sorted(appendices) == on_disk


def test_cross_references_point_at_existing_sections() -> None:
    import re

    sources = [*(ROOT / "chapters").glob("*.py"), *(ROOT / "chapters").glob("*.qmd"), ROOT / "index.qmd"]
    text = "\n".join(path.read_text() for path in sources)
    defined = set(re.findall(r"\{#((?:sec|fig|tbl)-[\w-]+)", text)) | set(re.findall(r"#\| label: ((?:fig|tbl)-[\w-]+)", text))
    used = set(re.findall(r"@((?:sec|fig|tbl)-[\w-]*\w)", text))
    assert used - defined == set()
