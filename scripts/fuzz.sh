#!/usr/bin/env bash
# The libFuzzer targets of Fuzz/ (issue 9): build them with the fuzzer and address sanitizers,
# seed each corpus from fixtures/, run each target for a bounded time. `make fuzz` runs this.
#
#   scripts/fuzz.sh [TARGET...]      targets: ndjson parquet delta-log contract (default: all)
#   FUZZ_SECONDS=60                  run time per target
#
# Corpora grow in Fuzz/corpus/<target>/ (git-ignored, reseeded every run); crashes, timeouts
# and out-of-memory inputs land in Fuzz/crashes/<target>/. Each one found becomes a regression
# fixture in fixtures/fuzz/<target>/ (minimise it with `-minimize_crash=1`), which `make test`
# runs through the same entry point; fixtures/fuzz/ is also part of the seeds.
# Triage one input: `$(swift build --package-path Fuzz -c debug --show-bin-path)/fuzz-TARGET FILE`
# replays it (LH_FUZZ_PRINT=1 prints fuzz-parquet's error); add `-minimize_crash=1 -runs=10000`
# to shrink a crashing one.
# Status: 0 when no target found anything, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ndjson parquet delta-log contract)

# A debug build: optimisation would fold away checks the fuzzer should reach. ld.gold warns
# about ASan's local symbols once per symbol; the warnings are harmless and filtered out.
flags=(--package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address)
"$SWIFT" build "${flags[@]}" 2>&1 | { grep -v 'ld.gold: warning: Cannot export local symbol' || true; }
bin=$("$SWIFT" build "${flags[@]}" --show-bin-path)

# The longest input per target: a few lines, a small Parquet file, a commit, a contract.
max_len() {
  case $1 in
    ndjson) echo 4096 ;;
    parquet) echo 131072 ;;
    delta-log) echo 16384 ;;
    contract) echo 8192 ;;
  esac
}

# Copies the fixtures that seed `target` into `dir`.
seed() {
  local target=$1 dir=$2 f
  mkdir -p "$dir"
  case $target in
    ndjson)
      # Golden NDJSON outputs and the reject fixture, a few lines per seed.
      for f in fixtures/golden/lh-gen/*/expout fixtures/contracts/rejects.ndjson \
        fixtures/delta/*.expected.ndjson; do
        [ -s "$f" ] && head -c 4096 "$f" > "$dir/$(echo "$f" | tr / _)"
      done
      ;;
    parquet)
      find fixtures/parquet fixtures/bad fixtures/delta -name '*.parquet' -size -128k \
        -exec sh -c 'for f; do cp "$f" "$0/$(echo "$f" | tr / _)"; done' "$dir" {} +
      ;;
    delta-log)
      for f in fixtures/delta/*/_delta_log/*.json; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done
      ;;
    contract)
      cp fixtures/contracts/*.contract "$dir/"
      # The built-in contracts' text, out of their Swift string literals.
      python3 - "$dir" <<'PY'
import re, sys, textwrap
src = open("Sources/LakeContracts/BuiltinContracts.swift").read()
for name, body in re.findall(r'static let (\w+)Text = """\n(.*?)\n\s*"""', src, re.S):
    open(f"{sys.argv[1]}/builtin_{name}.contract", "w").write(textwrap.dedent(body) + "\n")
PY
      ;;
  esac
  if [ -d "fixtures/fuzz/$target" ]; then
    find "fixtures/fuzz/$target" -type f -exec cp {} "$dir/" \;
  fi
}

# AddressSanitizer keeps 256 MiB of freed memory in quarantine by default; with libFuzzer's copy
# of a corpus of a few thousand inputs, that alone pushed the whole process past the 512 MiB
# limit (a false out-of-memory: the input it named ran in 60 MiB on its own). A smaller
# quarantine leaves the limit to the code under test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32}

found=0
for target in "${targets[@]}"; do
  corpus=Fuzz/corpus/$target crashes=Fuzz/crashes/$target
  seed "$target" "$corpus"
  mkdir -p "$crashes"
  echo "fuzz-$target: ${FUZZ_SECONDS}s, corpus $corpus ($(ls "$corpus" | wc -l) inputs)"
  if ! "$bin/fuzz-$target" "$corpus" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=512 \
    -max_len="$(max_len "$target")" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$crashes/" 2> "Fuzz/crashes/$target.log"; then
    found=1
    echo "fuzz-$target: found a failure (Fuzz/crashes/$target.log):"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|.*Fatal error)' \
      "Fuzz/crashes/$target.log" | head -5 || true
  else
    grep -E '^stat::number_of_executed_units|^Done' "Fuzz/crashes/$target.log" | head -2 || true
  fi
done
exit $found
