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
  # The plugin gives every tool a `help` subcommand and a SYNOPSIS starting with `subcommand`:
  # for a tool without subcommands both go (`TOOL help` still prints the help); lh-report's
  # subcommand (status) is optional: the report itself runs without one.
  if grep '^\.It Em ' "$page" | grep -qv '^\.It Em help$'; then
    if [ "$tool" = lh-report ]; then subcommand='.Op Ar subcommand'; else subcommand='.Ar subcommand'; fi
    strip_help=0
  else
    subcommand=''
    strip_help=1
  fi
  sed -e '/^\.Sh "EXIT STATUS"/,$d' -e 's/^$/.Pp/' "$page" |
    awk -v synline="$subcommand" -v strip="$strip_help" '
      /^\.Sh SYNOPSIS$/ { synopsis = 1 }
      synopsis && $0 == ".Ar subcommand" { synopsis = 0; if (synline != "") print synline; next }
      strip && $0 == ".It Em help" { skipping = 1; next }
      skipping { if ($0 == ".El") skipping = 0; next }
      { print }
    ' > "$out/$tool.1"
  cat "docs/man/$tool.mdoc" >> "$out/$tool.1"
done
