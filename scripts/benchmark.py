"""Execute every chapter notebook and report wall time and peak memory against the import floor.

`python scripts/benchmark.py [--jobs N]` prints one row per notebook, then three floors, each executed once per
chapter with the same parallelism: a notebook that only imports torch and transformers (issue #2's floor), one
that runs the imports common to every chapter's setup cell, and, per chapter, a notebook made of that chapter's
own import statements ("kernel start plus imports per notebook", issue #7's floor). Then the book's wall time
and the ratio book / floor for each. With `--jobs 2` two kernels run at once, as `pytest -n 2` does. Notebooks
are executed in copies: the stored notebooks are not changed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from book_tools import EXECUTION_ENV, KERNEL_NAME, chapter_pairs, sync_pair

# The floor as issue #2 defines it, and the heavier floor every chapter really pays: its setup cell's imports.
FLOOR_IMPORTS = "import torch\nimport transformers"
FLOOR_SETUP = (
    "import torch\n"
    "import matplotlib.pyplot as plt\n"
    "from IPython.display import Markdown, display\n"
    "from transformers import AutoModel, AutoTokenizer\n"
    "from structapi import checkpoint, pick_device, seed_everything"
)


def own_imports(notebook: nbformat.NotebookNode) -> str:
    """Return a notebook's top-level import statements (every code cell, in order, each once) as one cell's source."""
    statements: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            # IPython syntax (`%matplotlib inline`) becomes plain Python calls first, as the kernel does.
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
        except SyntaxError as error:
            raise ValueError(f"a code cell is not valid (IPython) Python, so its imports cannot be read: {error}") from None
        for node in tree.body:  # imports inside `if` blocks (the Colab install cell) are not what every run pays
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                statement = ast.unparse(node)
                if statement not in statements:
                    statements.append(statement)
    if not statements:
        raise ValueError("the notebook has no top-level import statement, so it has no import floor")
    return "\n".join(statements)


def _kernel_pid(client: NotebookClient) -> int | None:
    """The process id of the kernel a client started, once it runs."""
    provisioner = getattr(getattr(client, "km", None), "provisioner", None)
    process = getattr(provisioner, "process", None)
    return getattr(process, "pid", None)


def _tree_rss(pid: int | None) -> int:
    """Resident memory of a process and its children, 0 when it is gone."""
    if pid is None:
        return 0
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def _peak_rss_of_children(stop: threading.Event, peak: list[int]) -> None:
    """Poll the RSS of this process's children (every kernel) until `stop` is set."""
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.05)


def measure(notebook: nbformat.NotebookNode, workdir: Path) -> tuple[float, int]:
    """Execute a notebook in a fresh kernel; return (wall seconds including kernel start, peak RSS of that kernel)."""
    client = NotebookClient(notebook, timeout=600, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(workdir)}})
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(_kernel_pid(client)))
            stop.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    return seconds, peak[0]


def _run_all(jobs: list[tuple[str, nbformat.NotebookNode, Path]], workers: int) -> tuple[list[dict], float, int]:
    """Execute (name, notebook, workdir) jobs on `workers` threads; return rows, wall seconds, peak RSS of all kernels."""
    peak = [0]
    stop = threading.Event()
    watcher = threading.Thread(target=_peak_rss_of_children, args=(stop, peak), daemon=True)
    watcher.start()
    start = time.perf_counter()

    def one(job: tuple[str, nbformat.NotebookNode, Path]) -> dict:
        name, notebook, workdir = job
        seconds, rss = measure(notebook, workdir)
        return {"notebook": name, "seconds": round(seconds, 2), "peak_rss_mib": round(rss / 2**20)}

    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = list(pool.map(one, jobs))
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    return rows, wall, peak[0]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once (default 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    os.environ.update(EXECUTION_ENV)
    pairs = chapter_pairs()
    floors: dict[str, dict] = {}
    book = [(pair.notebook.name, sync_pair(pair), pair.notebook.parent) for pair in pairs]
    sources = {
        "imports": [FLOOR_IMPORTS] * len(book),
        "setup": [FLOOR_SETUP] * len(book),
        "own": [own_imports(notebook) for _, notebook, _ in book],
    }
    for label, floor_sources in sources.items():
        # Chapter notebooks import structapi and chapter helpers relative to their folder: run floors there too.
        floor_jobs = [
            (f"floor-{label}-{name}", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), workdir)
            for (name, _, workdir), source in zip(book, floor_sources)
        ]
        floor_rows, floor_wall, floor_rss = _run_all(floor_jobs, args.jobs)
        floors[label] = {
            "seconds_per_notebook": round(sum(r["seconds"] for r in floor_rows) / max(len(floor_rows), 1), 2),
            "wall_seconds": round(floor_wall, 2),
            "peak_rss_mib_all_kernels": round(floor_rss / 2**20),
        }
    rows, book_wall, book_rss = _run_all(book, args.jobs)
    report = {
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "notebooks": rows,
        "floors": floors,
        "book_wall_seconds": round(book_wall, 2),
        "sum_of_notebook_seconds": round(sum(row["seconds"] for row in rows), 2),
        "ratio_book_to_floor": {label: round(book_wall / f["wall_seconds"], 2) for label, f in floors.items()},
        "peak_rss_mib_one_kernel": max((row["peak_rss_mib"] for row in rows), default=0),
        "peak_rss_mib_all_kernels": round(book_rss / 2**20),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for row in rows:
        print(f"{row['notebook']:<40} {row['seconds']:>8.2f} s {row['peak_rss_mib']:>7} MiB")
    names = {
        "imports": "import torch, transformers",
        "setup": "common setup imports",
        "own": "each chapter's own imports",
    }
    for label, floor in floors.items():
        print(f"floor ({names[label]}): {len(rows)} x {floor['seconds_per_notebook']:.2f} s, "
              f"{floor['wall_seconds']:.2f} s wall with {args.jobs} job(s)")
    print(f"book: {book_wall:.2f} s wall with {args.jobs} job(s) (sum over notebooks {report['sum_of_notebook_seconds']} s)")
    print("ratio book / floor: " + ", ".join(f"{ratio} ({names[label]})" for label, ratio in report["ratio_book_to_floor"].items()))
    print(f"peak RSS: {report['peak_rss_mib_one_kernel']} MiB in one kernel, "
          f"{report['peak_rss_mib_all_kernels']} MiB all kernels together")
    return 0


if __name__ == "__main__":
    sys.exit(main())
