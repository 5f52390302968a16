#!/usr/bin/env bash
# Make sure the Python venv used by bench/quality/peers.py and
# scripts/datasets/make_streams.py exists with the pinned packages, then print
# the path of its python, so callers can do:  PY=$(bash scripts/river-venv.sh)
# Only PyPI is used (pip); nothing else is downloaded.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STREAMTUNE_CACHE:-$HOME/.cache/streamtune}/river-venv"
REQ="$ROOT/bench/quality/requirements.txt"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >&2
fi
# Reinstall only when the pinned list changed: pip is slow even when satisfied.
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >&2
  echo "$want" > "$STAMP"
fi
echo "$VENV/bin/python"
