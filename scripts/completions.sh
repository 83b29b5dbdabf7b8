#!/bin/sh
# Writes bash, zsh and fish completions of every tool into DIR (default completions/), from
# each tool's own --generate-completion-script. BIN is the directory of the built tools.
set -eu
bin=$1
out=${2:-completions}
cd "$(dirname "$0")/.."
. scripts/tools.sh
mkdir -p "$out/bash" "$out/zsh" "$out/fish"
for tool in $LH_TOOLS; do
  "$bin/$tool" --generate-completion-script bash > "$out/bash/$tool"
  "$bin/$tool" --generate-completion-script zsh > "$out/zsh/_$tool"
  "$bin/$tool" --generate-completion-script fish > "$out/fish/$tool.fish"
done
