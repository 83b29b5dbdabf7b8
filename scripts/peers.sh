#!/bin/sh
# Creates .venv in the repository root with the pinned peer engines (pyarrow, DuckDB, Polars, deltalake)
# used to prove lh's Parquet against, from tests/peers/requirements.txt. A fast, silent no-op once done:
# .venv/.lh-peers-<sha256 of requirements> marks a finished install of exactly those versions.
#   scripts/peers.sh           install if needed
#   scripts/peers.sh --print   also print the venv's python path (for callers: "$(scripts/peers.sh --print)")
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
req="$root/tests/peers/requirements.txt"
venv="$root/.venv"
fail() { echo "peers: $*" >&2; exit 1; }
[ -f "$req" ] || fail "missing $req"
hash=$( (sha256sum "$req" 2>/dev/null || shasum -a 256 "$req") | cut -c1-16)
marker="$venv/.lh-peers-$hash"
if [ ! -f "$marker" ] || [ ! -x "$venv/bin/python" ]; then
  py=${PYTHON:-python3}
  command -v "$py" >/dev/null 2>&1 || fail "python3 not found (set PYTHON=/path/to/python3.9+)"
  log=$(mktemp "${TMPDIR:-/tmp}/lh-peers.XXXXXX")
  trap 'rm -f "$log"' EXIT
  # A venv made for other requirements (or half made) is rebuilt from scratch.
  if [ -d "$venv" ]; then rm -rf "$venv" || fail "cannot remove stale $venv"; fi
  "$py" -m venv "$venv" >"$log" 2>&1 ||
    fail "'$py -m venv $venv' failed (Debian: apt-get install python3-venv): $(tail -n 1 "$log")"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" >"$log" 2>&1 ||
    fail "pip install -r tests/peers/requirements.txt failed: $(grep -m1 -E 'ERROR|error' "$log" || tail -n 1 "$log")"
  "$venv/bin/python" -c 'import pyarrow, duckdb, polars, deltalake' >"$log" 2>&1 ||
    fail "installed peers do not import: $(tail -n 1 "$log")"
  rm -f "$venv"/.lh-peers-*
  : >"$marker"
fi
[ "${1:-}" = "--print" ] && echo "$venv/bin/python"
exit 0
