#!/bin/sh
# Cost of a table's age (issue 15, "costs that stay flat"): lh-report status, an lh-bronze start
# (empty input), an lh-silver no-op and deltalake's DeltaTable(path) open on a bronze/silver lake
# grown to 1k, 10k and 100k commits, with deltalake checkpoints up to the last multiple of 100 (bench/logscale.py).
#   bench/logscale.sh BIN_DIR [N...]     LOGSCALE_PYTHON (default: the peers venv's, else python3;
#                                        needs deltalake), LOGSCALE_DIR (default /tmp/lh-logscale),
#                                        LOGSCALE_RUNS (default 5)
# Prints a Markdown table for bench/RESULTS.md: median wall seconds (CPU seconds) per command.
set -eu
bin=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
python=${LOGSCALE_PYTHON:-${LH_PEERS_PYTHON:-python3}}
dir=${LOGSCALE_DIR:-/tmp/lh-logscale}
[ $# -gt 0 ] || set -- 1000 10000 100000
exec "$python" "$here/logscale.py" "$bin" "$dir" "$@"
