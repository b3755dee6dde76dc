# SwiftPool's everyday commands. Each installs what is missing first.
#   make run     the main job: the Mandelbrot example on every local core
#   make test    the whole test suite (unit tests and real mpirun jobs)

MPIRUN := mpirun --allow-run-as-root --oversubscribe
# One worker per core, plus rank 0, which mostly sleeps while it waits for results.
NP ?= $(shell echo $$(( $$(nproc) + 1 )))
SOURCES := Package.swift Sources Tests Benchmarks mpirun-examples

.PHONY: deps run test format lint

deps:
	@bash scripts/install-deps.sh

run: deps
	swift build -c release --product Mandelbrot
	$(MPIRUN) -np $(NP) .build/release/Mandelbrot

test: deps lint
	swift test

lint:
	swift format lint --strict --recursive $(SOURCES)

format:
	swift format --in-place --recursive $(SOURCES)
