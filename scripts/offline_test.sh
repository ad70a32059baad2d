#!/usr/bin/env bash
# Run the README's test command with the network cut: a fresh network namespace that has only loopback
# (Jupyter kernels talk to nbval over it). Needs root for `unshare -n`. Any reach for the Hub fails here.
# Usage: scripts/offline_test.sh [pytest args...]   (default: the whole suite)
set -euo pipefail
cd "$(dirname "$0")/.."
exec unshare --net -- bash -c '
  ip link set lo up
  if python3 -c "import socket; socket.create_connection((\"pypi.org\", 443), timeout=3)" 2>/dev/null; then
    echo "the network is still reachable: refusing to call this an offline run" >&2; exit 1
  fi
  echo "network cut: only loopback is up"
  HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
' offline-test "$@"
