#!/bin/sh
# Writes bash, zsh and fish completions of every tool into DIR (default completions/), from
# each tool's own --generate-completion-script. BIN is the directory of the built tools;
# LH_BENCH_BIN, when set, the directory of the built lh-bench (Benchmarks/), whose completions
# are generated too (it is not installed).
set -eu
bin=$1
out=${2:-completions}
cd "$(dirname "$0")/.."
. scripts/tools.sh
mkdir -p "$out/bash" "$out/zsh" "$out/fish"
generate() {  # DIR TOOL
  "$1/$2" --generate-completion-script bash > "$out/bash/$2"
  "$1/$2" --generate-completion-script zsh > "$out/zsh/_$2"
  "$1/$2" --generate-completion-script fish > "$out/fish/$2.fish"
}
for tool in $LH_TOOLS; do generate "$bin" "$tool"; done
if [ -n "${LH_BENCH_BIN:-}" ]; then generate "$LH_BENCH_BIN" lh-bench; fi
