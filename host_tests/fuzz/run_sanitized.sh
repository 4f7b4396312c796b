#!/usr/bin/env bash
# The core's tests against an ASan + UBSan build of the cffi extension.
#   host_tests/fuzz/run_sanitized.sh [PYTEST ARGS...]
# (default: the loader's malformed-input tests, the binding tests and the image core's tests;
# `host_tests/core` for all)
# Builds maixkpu._core with MAIXKPU_SANITIZE=1 into build/asan/maixkpu (the normal in-place
# extension is left alone), then runs pytest with libasan preloaded and the sanitized extension
# put first on maixkpu.__path__ (asan_overlay.py). Any sanitizer report aborts the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY="${PYTHON:-.venv/bin/python}"
OUT=build/asan
CC="${CC:-gcc}"
LIBASAN="$("$CC" -print-file-name=libasan.so)"
[ -e "$LIBASAN" ] || { echo "run_sanitized.sh: no libasan.so for $CC" >&2; exit 1; }

mkdir -p "$OUT"
# Own tmpdir and lock-free: this never touches tools/maixkpu/_core*.so.
CC="$CC" "$PY" host_tests/fuzz/build_sanitized.py "$OUT"

if [ "$#" -eq 0 ]; then
  # the loader's malformed-input tests and the binding's error paths (what sanitizers can catch),
  # and the image core (its BMP decoder takes untrusted files)
  set -- host_tests/core/test_loader_v3.py host_tests/core/test_binding.py host_tests/image
fi
# detect_leaks=0: CPython itself keeps memory until exit. halt_on_error: first report fails.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export MAIXKPU_CORE_DIR="$PWD/$OUT/maixkpu"
LD_PRELOAD="$LIBASAN" "$PY" -m pytest -p host_tests.fuzz.asan_overlay -p no:xdist -p no:cacheprovider -q "$@"
