"""Tools for the chapter pairs: find them, check them, sync and execute them."""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

REPO_ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "python3"
# Pinned so every execution sees the same environment: offline, one hash seed, a fixed thread count.
EXECUTION_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",  # the models are tiny: one thread per kernel is as fast, and two kernels can share 2 cores
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # a progress bar is terminal decoration, not a result
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


REPOSITORY = "structure-to-api/structure-to-api"
# The first code cell of every chapter. In Colab it fetches the book and installs the pinned libraries
# Colab lacks, keeping Colab's own torch (and numpy, matplotlib, ipywidgets); anywhere else it does nothing.
COLAB_SETUP_CELL = f"""\
# In Colab: fetch the book and install what Colab lacks (Colab's own torch is kept). Elsewhere: nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess
    import tomllib

    subprocess.run(["git", "clone", "--depth=1", "https://github.com/{REPOSITORY}", "/content/book"], check=True)
    pins = tomllib.load(open("/content/book/pyproject.toml", "rb"))["project"]["dependencies"]
    kept_from_colab = ("torch==", "numpy==", "matplotlib==", "ipywidgets==")
    needed = [pin for pin in pins if not pin.startswith(kept_from_colab)]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *needed], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", "/content/book"], check=True)
    sys.path.insert(0, "/content/book/src")"""


def colab_badge(notebook_name: str) -> str:
    """Return the markdown line under a chapter's title: 'Open in Colab' badge and a notebook download link."""
    colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{notebook_name}"
    download = f"https://github.com/{REPOSITORY}/raw/main/notebooks/{notebook_name}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
        f"[Download this notebook]({download})"
    )


@dataclass(frozen=True)
class ChapterPair:
    """A chapter's editable source and its executed notebook."""

    source: Path
    notebook: Path

    @property
    def name(self) -> str:
        """Return the chapter's stem, e.g. '01-pipeline'."""
        return self.source.stem


def chapter_pairs(root: Path = REPO_ROOT) -> list[ChapterPair]:
    """Return every chapters/NN-*.py with its notebooks/NN-*.ipynb, in reading order."""
    sources = sorted((root / "chapters").glob("[0-9][0-9]-*.py"))
    return [ChapterPair(src, root / "notebooks" / f"{src.stem}.ipynb") for src in sources]


def _cell_sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells if cell.source.strip()]


def pairing_problems(root: Path = REPO_ROOT) -> list[str]:
    """List what is wrong with the pairs: a missing side, differing cells, unexecuted or out-of-order code cells."""
    problems: list[str] = []
    pairs = chapter_pairs(root)
    if not pairs:
        problems.append("no chapters/NN-*.py sources found")
    for pair in pairs:
        if not pair.notebook.exists():
            problems.append(f"{pair.name}: notebooks/{pair.notebook.name} is missing (run scripts/execute_book.py)")
            continue
        text = jupytext.read(pair.source, fmt="py:percent")
        executed = nbformat.read(pair.notebook, as_version=4)
        if _cell_sources(text) != _cell_sources(executed):
            problems.append(
                f"{pair.name}: the notebook's cells differ from chapters/{pair.source.name}; "
                "re-execute with `python scripts/execute_book.py`"
            )
        counts = [c.get("execution_count") for c in executed.cells if c.cell_type == "code" and c.source.strip()]
        if any(count is None for count in counts):
            problems.append(f"{pair.name}: a code cell was never executed")
        elif counts != list(range(1, len(counts) + 1)):
            problems.append(f"{pair.name}: code cells were not executed once each, top to bottom ({counts})")
    orphans = {nb.stem for nb in (root / "notebooks").glob("*.ipynb")} - {p.name for p in pairs}
    problems.extend(f"notebooks/{name}.ipynb has no source in chapters/" for name in sorted(orphans))
    return problems


def sync_pair(pair: ChapterPair) -> nbformat.NotebookNode:
    """Return the notebook built from the source's cells, keeping the stored notebook's metadata."""
    fresh = jupytext.read(pair.source, fmt="py:percent")
    if pair.notebook.exists():
        stored = nbformat.read(pair.notebook, as_version=4)
        fresh.metadata = {**stored.metadata, **fresh.metadata}
    fresh.metadata["jupytext"] = {"formats": "notebooks///ipynb,chapters///py:percent"}
    fresh.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
    fresh.metadata.pop("widgets", None)  # stale widget state would survive otherwise
    _stable_cell_ids(fresh)
    return fresh


def _stable_cell_ids(notebook: nbformat.NotebookNode) -> None:
    """Name each cell after its content, so re-executing an unchanged chapter leaves every id (and the diff) alone."""
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def execute_pair(pair: ChapterPair, timeout: int = 600) -> nbformat.NotebookNode:
    """Execute a chapter from its source in a fresh kernel and write the notebook in place."""
    from nbclient import NotebookClient

    notebook = sync_pair(pair)
    env_backup = dict(os.environ)
    os.environ.update(EXECUTION_ENV)
    try:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            resources={"metadata": {"path": str(pair.notebook.parent)}},
            store_widget_state=True,
            record_timing=False,  # timestamps in cell metadata would change every run
            coalesce_streams=True,  # how prints split into chunks depends on flush timing, not on the chapter
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    notebook.metadata.pop("execution", None)
    notebook.metadata["language_info"] = {"name": "python", "version": f"{sys.version_info.major}.{sys.version_info.minor}"}
    pair.notebook.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, pair.notebook)
    return notebook


# A stored output must not leak the machine it ran on, a secret, or a warning the reader is not told about.
_HYGIENE_PATTERNS = {
    "an absolute machine path": r"(?<![\w.])(/root/|/home/[^/\s]+/|/tmp/|/work/|/Users/[^/\s]+/|[A-Za-z]:\\\\Users\\\\)|site-packages",
    "a token-like secret": r"\b(hf_[A-Za-z0-9]{30,}|gh[pousr]_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16})\b",
    "a device name": r"device\(type=|\bcuda:\d\b",
    "a warning": r"\b\w*Warning\b|\bwarn(ing)?:",
}
EXPECTED_WARNING_MARKER = "# expected warning:"


def _output_text(output: dict) -> str:
    """Return every text an output shows: stream text, plain/markdown/html data, error text."""
    parts = [str(output.get("text", "")), str(output.get("ename", "")), str(output.get("evalue", ""))]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime == "application/json":
            parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


def hygiene_problems(notebook_paths: list[Path]) -> list[str]:
    """List stored outputs that show a machine path, a user name, a secret, a device, or an unexplained warning."""
    import getpass
    import re

    patterns = dict(_HYGIENE_PATTERNS)
    user = getpass.getuser()
    if user not in {"root", "runner", "jovyan"} and len(user) > 2:
        patterns["the user name"] = rf"\b{re.escape(user)}\b"
    problems = []
    for path in notebook_paths:
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            shown = "\n".join(_output_text(output) for output in cell.get("outputs", []))
            for what, pattern in patterns.items():
                if what == "a warning" and EXPECTED_WARNING_MARKER in cell.source:
                    continue
                if re.search(pattern, shown):
                    problems.append(f"{path.name}, cell {index}: output shows {what}")
    return problems
