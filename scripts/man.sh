#!/bin/sh
# Generates the man pages of every tool into DIR (default man/) with swift-argument-parser's
# generate-manual plugin, then replaces the plugin's generic EXIT STATUS section with the tool's
# own sections from docs/man/<tool>.mdoc (EXIT STATUS, ENVIRONMENT, SEE ALSO).
# The date is fixed so that the committed pages change only when the flags or texts do.
set -eu
out=${1:-man}
cd "$(dirname "$0")/.."
. scripts/tools.sh
swift package generate-manual --configuration debug --date 2026-01-01 \
  --authors 'the lh developers' >/dev/null
mkdir -p "$out"
for tool in $LH_TOOLS; do
  page=.build/plugins/GenerateManual/outputs/$tool/$tool.1
  # Blank lines become paragraph breaks (groff -mdoc warns about empty input lines).
  sed -e '/^\.Sh "EXIT STATUS"/,$d' -e 's/^$/.Pp/' "$page" > "$out/$tool.1"
  cat "docs/man/$tool.mdoc" >> "$out/$tool.1"
done
