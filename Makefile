# MaixKPU top-level targets. Each target sets up what it needs (a virtual environment in .venv).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
CORE_BUILT := build/.core-built
PYTEST_ARGS ?=

.PHONY: all setup core demo test lint hil micropython-test bench fuzz sanitize firmware-check qemu-test clean

all: test

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

setup: $(STAMP)

demo: $(CORE_BUILT)
	$(PY) -m maixkpu.demo

test: $(CORE_BUILT) lint
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check tools host_tests

# The hardware-in-the-loop suite: the virtual board by default, a real one with PORT=...
hil: $(CORE_BUILT)
	$(PY) -m pytest -m hil host_tests/hil $(if $(PORT),--port $(PORT)) $(if $(BOARD),--board $(BOARD))

bench: $(CORE_BUILT)
	$(PY) -m maixkpu.bench
	$(PY) -m maixkpu.isp.bench_flash

clean:
	rm -rf build out $(VENV) tools/maixkpu/_core*.so tools/maixkpu/_core.c

# In-place rebuild of the cffi extension after editing the C core (serialised with a lock).
$(CORE_BUILT): $(STAMP) tools/maixkpu/_build_core.py $(wildcard modules/kpu/core/*.c modules/kpu/core/*.h modules/image/core/*.c modules/image/core/*.h tools/maixkpu/cdefs/*.h)
	mkdir -p build && flock build/.core.lock $(PY) tools/maixkpu/_build_core.py && touch $@

core: $(CORE_BUILT)

# The core on RV64: bare-metal build under QEMU virt, driven by pytest (needs the riscv64 gcc,
# picolibc and qemu-system-misc Debian packages; .ci/run installs them).
qemu-test: $(CORE_BUILT)
	$(PY) -m pytest host_tests/firmware/test_qemu_core.py -v

# The KPU and image user modules built into MicroPython's unix port from your tree, and the K210
# port's lcd/sensor modules on simulated registers: MICROPY_DIR=/path/to/micropython. With a
# tree whose ports/qemu VIRT_RV64 has ROMFS (v1.29 preview) and the RISC-V tools, also the
# modules in that firmware under qemu-system-riscv64 through mpremote (skipped otherwise).
micropython-test: $(CORE_BUILT)
	MICROPY_DIR=$(MICROPY_DIR) $(PY) -m pytest host_tests/firmware/test_micropython_module.py \
		host_tests/firmware/test_k210_glue.py host_tests/firmware/test_qemu_micropython.py -v

# Cross-compile the core, both backends and the port HAL for the K210 with -Werror; print sizes.
firmware-check:
	$(MAKE) -C firmware check

# Bounded libFuzzer run (clang, ASan + UBSan) of the kmodel loader and runtime and of the image
# core's BMP decoder; fails on a crash. FUZZ_SEED=n FUZZ_RUNS=n make it repeatable (CI); by
# default each run explores with a new seed.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	PYTHON=$(PY) FUZZ_SEED=$(FUZZ_SEED) FUZZ_RUNS=$(FUZZ_RUNS) host_tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)

# The core's tests against an ASan + UBSan build of the extension (in build/asan; the in-place
# extension is untouched). SANITIZE_ARGS replaces the default pytest selection.
SANITIZE_ARGS ?=
sanitize: $(STAMP)
	PYTHON=$(PY) host_tests/fuzz/run_sanitized.sh $(SANITIZE_ARGS)
