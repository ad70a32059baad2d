"""Stored outputs are clean; nothing runs remote code; weights are safetensors only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from book_tools import REPO_ROOT, hygiene_problems

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
# Spelled in two parts so that this file does not match its own search.
REMOTE_CODE = re.compile(r"trust_remote_code\s*=\s*" + "True")
UNSAFE_WEIGHTS = {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack", ".joblib"}


def test_stored_outputs_are_clean() -> None:
    assert NOTEBOOKS
    assert hygiene_problems(NOTEBOOKS) == []


@pytest.mark.parametrize(("text", "what"), [
    ("loaded from /root/.cache/structapi/sentiment", "an absolute machine path"),
    ("see /work/main/assets/checkpoints", "an absolute machine path"),
    (".venv/lib/python3.11/site-packages/transformers/x.py", "an absolute machine path"),
    ("token hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "a token-like secret"),
    ("tensor([1.], device='cuda:0')", "a device name"),
    ("UserWarning: something the text never mentions", "a warning"),
])
def test_hygiene_check_can_fail(text: str, what: str, tmp_path: Path) -> None:
    cell = nbformat.v4.new_code_cell("print('x')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert hygiene_problems([path]) == [f"dirty.ipynb, cell 0: output shows {what}"]


def test_an_explained_warning_is_allowed(tmp_path: Path) -> None:
    cell = nbformat.v4.new_code_cell("# expected warning: the text explains it\nload()", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: newly initialized")]
    path = tmp_path / "explained.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert hygiene_problems([path]) == []


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT, capture_output=True, text=True)
    if listed.returncode != 0:  # not a git checkout (e.g. an unpacked archive): walk the tree instead
        return [p for p in REPO_ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    return [REPO_ROOT / line for line in listed.stdout.splitlines() if (REPO_ROOT / line).is_file()]


def test_no_code_trusts_remote_code() -> None:
    offenders = []
    for path in _tracked_text_files():
        try:
            if REMOTE_CODE.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(REPO_ROOT)))
        except (UnicodeDecodeError, OSError):
            continue
    assert offenders == []


def test_the_remote_code_search_can_fail() -> None:
    assert REMOTE_CODE.search("AutoModel.from_pretrained(x, trust_remote_code=" + "True)")


def test_every_weight_file_is_safetensors() -> None:
    from structapi import CATALOG, checkpoint

    folders = [REPO_ROOT / "assets"] + [Path(checkpoint(name)) for name in CATALOG]
    unsafe = [str(p.name) for folder in folders for p in folder.rglob("*") if p.suffix.lower() in UNSAFE_WEIGHTS]
    assert unsafe == []
    weights = [p for folder in folders for p in folder.rglob("*.safetensors")]
    assert len(weights) >= 4  # minilm, tiny-gpt2, tiny-t5, and the sentiment delta (plus its assembly)
