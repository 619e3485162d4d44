# The README's two commands. Each installs what it needs (Debian packages, skipped when
# present), configures, builds, and then runs the server or the tests.
PRESET ?= default
BUILD_DIR := $(if $(filter default,$(PRESET)),build,build-$(PRESET))
JOBS ?= 2

.PHONY: all deps build run test bench bench-webhooks bench-isolation lint clean

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

# Outbound webhooks: deliveries/s and event-POST-to-receipt latency against direct POSTs (Python 3 only).
bench-webhooks: build
	@./bench/webhooks/run $(BUILD_DIR)

# Process isolation: per-call cost of a plugin run by plugboard-plugin-host against in process.
bench-isolation: build
	@./bench/isolation/run $(BUILD_DIR)

# Formatting and clang-tidy over our C++ (warnings are errors). Slow on two cores: not part of `make test`.
lint: build
	@find runtime sdk plugins tests/unit tests/plugins examples -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \
	  | xargs clang-format --dry-run -Werror
	@find runtime plugins -name '*.cpp' | xargs -P$(JOBS) -n4 clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf build build-debug build-asan
