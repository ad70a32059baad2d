"""Execute every chapter notebook and report wall time and peak memory against the import floor.

`python scripts/benchmark.py` prints one row per notebook, then the floor (a notebook that only imports
torch and transformers), the total, and the ratio total / floor. Notebooks are executed in copies:
the stored notebooks are not changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

from book_tools import EXECUTION_ENV, KERNEL_NAME, chapter_pairs, sync_pair

FLOOR_SOURCE = "import torch\nimport transformers"


def _peak_rss_of_children(stop: threading.Event, peak: list[int]) -> None:
    """Poll the RSS of this process's children (the kernel) until `stop` is set."""
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
    """Execute a notebook in a fresh kernel; return (wall seconds including kernel start, peak kernel RSS bytes)."""
    peak = [0]
    stop = threading.Event()
    watcher = threading.Thread(target=_peak_rss_of_children, args=(stop, peak), daemon=True)
    watcher.start()
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name=KERNEL_NAME, resources={"metadata": {"path": str(workdir)}}).execute()
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    return seconds, peak[0]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    os.environ.update(EXECUTION_ENV)
    floor_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)])
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        floor_seconds, floor_rss = measure(floor_nb, Path(scratch))
        for pair in chapter_pairs():
            seconds, rss = measure(sync_pair(pair), pair.notebook.parent)
            rows.append({"notebook": pair.notebook.name, "seconds": round(seconds, 2), "peak_rss_mib": round(rss / 2**20)})
    total = sum(row["seconds"] for row in rows)
    floor_total = floor_seconds * len(rows)
    report = {
        "notebooks": rows,
        "floor_seconds_per_notebook": round(floor_seconds, 2),
        "floor_peak_rss_mib": round(floor_rss / 2**20),
        "total_seconds": round(total, 2),
        "floor_total_seconds": round(floor_total, 2),
        "ratio_total_to_floor": round(total / floor_total, 2) if floor_total else None,
        "peak_rss_mib": max((row["peak_rss_mib"] for row in rows), default=0),
        "cpu_count": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for row in rows:
        print(f"{row['notebook']:<40} {row['seconds']:>8.2f} s {row['peak_rss_mib']:>7} MiB")
    print(f"{'floor (import torch, transformers)':<40} {floor_seconds:>8.2f} s {report['floor_peak_rss_mib']:>7} MiB")
    print(f"total {total:.2f} s for {len(rows)} notebooks; floor {floor_total:.2f} s; "
          f"ratio {report['ratio_total_to_floor']}; peak RSS {report['peak_rss_mib']} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
