# The README's two commands. Each installs what it needs (Debian packages, skipped when
# present), configures, builds, and then runs the server or the tests.
PRESET ?= default
BUILD_DIR := $(if $(filter default,$(PRESET)),build,build-$(PRESET))
JOBS ?= 2

.PHONY: all deps build run test bench clean

all: build

deps:
	@./scripts/install-deps.sh build

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j$(JOBS)

# Serves on 127.0.0.1 with SQLite in ./var and every bundled plugin; prints the URL and a key.
run: build
	@./scripts/run-dev.sh $(BUILD_DIR)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j$(JOBS)

bench: build
	@./scripts/install-deps.sh bench
	@./bench/execute/run $(BUILD_DIR)

clean:
	rm -rf build build-debug build-asan
