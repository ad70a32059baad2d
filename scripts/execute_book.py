"""Sync every chapter pair and re-execute its notebook in place: `python scripts/execute_book.py [NN ...]`."""

from __future__ import annotations

import argparse
import sys
import time

from book_tools import chapter_pairs, execute_pair, pairing_problems


def main(argv: list[str] | None = None) -> int:
    """Execute the chapters named by number or stem (all when none is named); return a process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("chapters", nargs="*", help="chapter numbers or stems, e.g. 01 or 01-pipeline")
    args = parser.parse_args(argv)
    pairs = chapter_pairs()
    known = {p.name: p for p in pairs}
    wanted = pairs
    if args.chapters:
        wanted = []
        for key in args.chapters:
            match = [p for name, p in known.items() if name == key or name.split("-", 1)[0] == key]
            if not match:
                parser.error(f"no chapter {key!r}; known: {', '.join(known)}")
            wanted.extend(match)
    for pair in wanted:
        start = time.perf_counter()
        execute_pair(pair)
        print(f"executed {pair.notebook.name} in {time.perf_counter() - start:.1f} s", flush=True)
    problems = pairing_problems()
    for problem in problems:
        print("problem:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
