#!/bin/sh
# Fails when the committed man pages or completions differ from what the current flags generate
# (run by `make test`; fix with `make man completions` and commit the result).
set -eu
bin=$1
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/man.sh "$tmp/man"
scripts/completions.sh "$bin" "$tmp/completions"
status=0
if ! diff -r man "$tmp/man" >"$tmp/man.diff"; then
  echo "check-generated: man/ is stale; run 'make man' and commit the result" >&2
  head -20 "$tmp/man.diff" >&2
  status=1
fi
if ! diff -r completions "$tmp/completions" >"$tmp/completions.diff"; then
  echo "check-generated: completions/ is stale; run 'make completions' and commit the result" >&2
  head -20 "$tmp/completions.diff" >&2
  status=1
fi
# The scripts must at least parse in their shells.
for f in completions/bash/*; do bash -n "$f" || status=1; done
if command -v zsh >/dev/null; then for f in completions/zsh/*; do zsh -n "$f" || status=1; done; fi
if command -v fish >/dev/null; then for f in completions/fish/*; do fish --no-execute "$f" || status=1; done; fi
# And the pages must render without warnings.
if command -v groff >/dev/null; then
  for f in man/*.1; do
    w=$(groff -mdoc -ww -z "$f" 2>&1) || status=1
    if [ -n "$w" ]; then echo "check-generated: $f: $w" >&2; status=1; fi
  done
fi
[ $status -eq 0 ] && echo "check-generated: man/ and completions/ are up to date"
exit $status
