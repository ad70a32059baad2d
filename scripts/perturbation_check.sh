#!/usr/bin/env bash
# Device-stability proxy without a GPU: run nbval with every weight that from_pretrained loads nudged by a
# relative amount EPS (default 1e-5: it moves tiny-gpt2's logits by up to about 4e-4 and MiniLM's by about
# 3e-5, more than float32 kernels on another device do) and report which stored outputs change.
# Usage: [STRUCTAPI_PERTURB_SEED=N] scripts/perturbation_check.sh [EPS [NOTEBOOK ...]]
set -uo pipefail
cd "$(dirname "$0")/.."
eps=${1:-1e-5}
targets=("${@:2}")
[ "${#targets[@]}" -gt 0 ] || targets=(notebooks)
ipython_dir=$(mktemp -d)
trap 'rm -rf "$ipython_dir"' EXIT
mkdir -p "$ipython_dir/profile_default/startup"
cp scripts/perturb/00-perturb-weights.py "$ipython_dir/profile_default/startup/"
IPYTHONDIR="$ipython_dir" STRUCTAPI_PERTURB="$eps" HF_HUB_OFFLINE=1 \
  .venv/bin/python -m pytest "${targets[@]}" -q -n 2 --dist loadfile
