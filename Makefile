# SwiftPool's everyday commands. Each installs what is missing first.
#   make run     the main job: the Mandelbrot example on every local core (no mpirun needed:
#                started on its own, the program spawns one worker per core)
#   make test    the whole test suite (unit tests and real mpirun jobs)
#   make bench   the benchmark suite beside mpi4py.futures, ProcessPoolExecutor and raw MPI
#                (about 12 minutes on 2 cores, with the nightly scale tests and the scheduler
#                over simulated workers); make bench-smoke runs it with tiny sizes
#   make docs    the DocC documentation (warnings are errors), offline, through swift-docc-plugin
#   make doc-snippets  type-checks every ```swift block of the README, DocC and doc comments
#                (run by make test after the build)
#   make fuzz    a long fuzz campaign of the wire decoder (10 million decodes, a few minutes);
#                the tests run a 30-second one

SOURCES := Package.swift Sources Tests Benchmarks mpirun-examples

.PHONY: deps test-deps run test bench bench-smoke docs doc-snippets fuzz format lint

deps:
	@bash scripts/install-deps.sh

# The tests also start a real Slurm cluster (Debian's slurm-wlm and munge) on fake hosts made of
# network namespaces; without root those tests are skipped and say why.
test-deps:
	@bash scripts/install-deps.sh slurm-wlm munge iproute2

run: deps
	swift build -c release --product Mandelbrot
	.build/release/Mandelbrot

test: test-deps lint docs
	swift test
	$(MAKE) doc-snippets

# The docs' code blocks, extracted into Tests/DocSnippets/Generated.swift (which must be up to
# date), type-checked against the debug build's SwiftPool module. Not a package target: the
# blocks show fragments, and their unused values would be warnings there.
doc-snippets:
	python3 Tests/DocSnippets/extract.py --check
	swift build --product SwiftPool
	swiftc -typecheck -swift-version 6 -suppress-warnings -I .build/debug/Modules \
		-Xcc -fmodule-map-file=Sources/CMPI/module.modulemap -Xcc -fmodule-map-file=Sources/CLinux/module.modulemap $$(pkg-config --cflags ompi-c | sed "s/-I/-Xcc -I/g") \
		Tests/DocSnippets/Context.swift Tests/DocSnippets/Generated.swift

bench: deps
	python3 Benchmarks/run.py

bench-smoke: deps
	python3 Benchmarks/run.py --smoke

fuzz: deps
	swift build --product SwiftPoolFuzz
	.build/debug/SwiftPoolFuzz --decodes 10000000 --seed $${SEED:-$$(date +%s)}

docs:
	swift package generate-documentation --target SwiftPool --warnings-as-errors

lint:
	swift format lint --strict --recursive $(SOURCES)

format:
	swift format --in-place --recursive $(SOURCES)
