#!/bin/sh
# bench/ndjson-scan.sh: single-threaded speed of the NDJSON scanner, optimized (-O, whole module).
#   bench/ndjson-scan.sh [FILE.ndjson]     (default: 200,000 clickstream lines from lh-gen --seed 1)
# Compiles only the scanner's sources with swiftc (seconds, no release build of the package); not
# run by `make test` or `make bench`. Needs a debug build (`swift build`) for lh-gen when no FILE.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/bench/work/ndjson-scan"
mkdir -p "$work"
file=${1:-}
if [ -z "$file" ]; then
  file="$work/clickstream.ndjson"
  [ -s "$file" ] || "$root/.build/debug/lh-gen" --quiet --count 200000 --seed 1 > "$file"
fi
nd="$root/Sources/LakeFormats/NDJSON"
# LakeError lives in LakeIO; build that one file as a tiny LakeIO module.
swiftc -O -wmo -parse-as-library -module-name LakeIO -emit-module -emit-module-path "$work/LakeIO.swiftmodule" \
  -emit-library -static -o "$work/libLakeIO.a" "$root/Sources/LakeIO/LakeError.swift"
swiftc -O -wmo -parse-as-library -module-name LakeFormats -I "$work" -L "$work" -lLakeIO \
  -o "$work/bench" "$nd/JSONSyntaxError.swift" "$nd/JSONField.swift" "$nd/JSONLexer.swift" \
  "$nd/NDJSONScanner.swift" "$nd/JSONValue.swift" "$nd/JSONValue+Number.swift" \
  "$root/bench/ndjson-scan/main.swift"
"$work/bench" "$file"
