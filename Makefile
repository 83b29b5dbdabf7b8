# lh — make targets. The README's two set-up commands are `make demo` and `make test`.
#
#   make demo          install what is missing, build in release, run the pipeline on ./lake
#   make test          install what is missing, lint, build, check man/ and completions/, run every test
#   make bench         the benchmark of bench/ (see bench/RESULTS.md), bench-shapes included
#   make bench-shapes  workload shapes of our own (bench/shapes/) through lh, DuckDB and Polars
#   make soak          the README's cron pattern with faults for SOAK_DURATION (default 30m); see tests/soak/soak.py
#   make fuzz          each libFuzzer target of Fuzz/ for FUZZ_SECONDS (default 60); see scripts/fuzz.sh
#   make install       binaries, man pages and completions under PREFIX (default /usr/local)
#   make man           regenerate man/ (commit the result)
#   make completions   regenerate completions/ (commit the result)
#   make format        rewrite sources with swift format

PREFIX ?= /usr/local
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib
include scripts/tools.sh
export LH_TOOLS

.PHONY: all build release demo test lint check-generated bench-tool deps deps-test peers man completions \
	install bench bench-shapes soak fuzz format clean

all: build

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh test

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

demo: release
	@scripts/demo.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests Benchmarks Fuzz

check-generated: build bench-tool
	LH_BENCH_BIN="$$($(SWIFT) build --package-path Benchmarks --show-bin-path)" \
	  scripts/check-generated.sh "$$($(SWIFT) build --show-bin-path)"

# lh-bench (Benchmarks/): not installed, but its completions are generated with the tools'.
# SwiftPM keeps the source list of the path dependency (this package) from the last build, so
# the first build after a source file was added fails to find it; the retry, without that
# cached build description, sees it.
bench-tool:
	$(SWIFT) build --package-path Benchmarks || { rm -f Benchmarks/.build/*.yaml; $(SWIFT) build --package-path Benchmarks; }

# pyarrow, DuckDB, Polars and deltalake in .venv (created once, reused), and the harness's
# self-tests (Parquet and Delta): the checkers that prove lh's files must first prove they
# catch faults.
peers:
	@scripts/peers.sh
	tests/peers/selftest.sh
	tests/peers/selftest_delta.sh

# Lint, staleness and peer checks run first so that the test runner's summary is the last thing
# printed. LH_REQUIRE_PEERS makes the peer tests fail, not skip, if the peers are missing.
test: deps-test lint check-generated peers
	LH_PEERS_PYTHON="$$(scripts/peers.sh --print)" LH_REQUIRE_PEERS=1 $(SWIFT) test

man: build
	scripts/man.sh man

completions: build bench-tool
	LH_BENCH_BIN="$$($(SWIFT) build --package-path Benchmarks --show-bin-path)" \
	  scripts/completions.sh "$$($(SWIFT) build --show-bin-path)" completions

install: release
	bin="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"; \
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" \
	  "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
	  "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"; \
	for t in $(LH_TOOLS); do \
	  install -m 755 "$$bin/$$t" "$(DESTDIR)$(PREFIX)/bin/$$t"; \
	  install -m 644 "man/$$t.1" "$(DESTDIR)$(PREFIX)/share/man/man1/$$t.1"; \
	  install -m 644 "completions/bash/$$t" "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t"; \
	  install -m 644 "completions/zsh/_$$t" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$t"; \
	  install -m 644 "completions/fish/$$t.fish" "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$t.fish"; \
	done

bench: release
	@scripts/deps.sh bench
	@scripts/peers.sh
	$(SWIFT) build $(RELEASE_FLAGS) --package-path Benchmarks
	LH_BENCH="$$($(SWIFT) build $(RELEASE_FLAGS) --package-path Benchmarks --show-bin-path)/lh-bench" \
	  bench/run.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"
	bench/shapes.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

# The workload shapes of bench/shapes/ (not lh-gen's) through lh, DuckDB and Polars; SHAPES_EVENTS
# (default 1000000) per shape, BENCH_RUNS (default 3); SHAPES="week tiny" picks shapes.
bench-shapes: release
	@scripts/peers.sh
	bench/shapes.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" $(SHAPES)

# Not part of `make test` (its SoakTests run the same driver for 60 seconds on the debug build).
# Prints a line per cycle and a summary; on the first broken invariant it stops with one line
# saying which and keeps the lake. SOAK_STEP (event time per cycle) and SOAK_SEED also apply.
SOAK_DURATION ?= 30m
soak: release
	SOAK_DURATION=$(SOAK_DURATION) tests/soak/soak.py "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

# Not part of `make test`: that runs the regression fixtures of fixtures/fuzz/ instead.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh

format:
	$(SWIFT) format format --in-place --recursive --parallel Package.swift Sources Tests Fuzz

clean:
	rm -rf .build lake bench/work .venv
