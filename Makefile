# Entry points for a fresh machine: `make demo` and `make test`.
# Each installs missing Debian packages, configures CMake (Release), builds and runs.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build demo test test-asan bench fuzz format clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/apps/veil

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-asan: deps
	@cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVEIL_SANITIZE=ON -DVEIL_BUILD_BENCH=OFF -DVEIL_WITH_TORCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS) -LE slow

bench: build
	@for b in $(BUILD)/bench/veil-bench-*; do $$b --benchmark_out=$(BUILD)/$$(basename $$b).json --benchmark_out_format=json; done

# libFuzzer binaries (clang) in build-fuzz/fuzz/; see fuzz/README.md.
fuzz: deps
	@cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVEIL_FUZZ=ON -DVEIL_BUILD_TESTS=OFF -DVEIL_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target veil-fuzzers

format:
	@git ls-files '*.h' '*.cpp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD) build-asan build-fuzz
