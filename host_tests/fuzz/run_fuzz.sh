#!/usr/bin/env bash
# Bounded libFuzzer run of the kmodel loader + runtime with ASan and UBSan.
#   host_tests/fuzz/run_fuzz.sh [SECONDS]      (default 60; FUZZ_SECONDS also works)
# Builds build/fuzz/fuzz_kmodel with clang, makes the seed corpus at run time, fuzzes for the
# given time and exits non-zero on any crash, sanitizer report, leak or harness check.
# Environment: CLANG (default clang), FUZZ_MAX_LEN (bytes, default 262144 so MNIST fits whole),
# FUZZ_RSS_MB (default 2048), FUZZ_KEEP_CORPUS=1 keeps build/fuzz/corpus between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-60}}"
CLANG="${CLANG:-clang}"
MAX_LEN="${FUZZ_MAX_LEN:-262144}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
OUT=build/fuzz
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3

command -v "$CLANG" >/dev/null || { echo "run_fuzz.sh: $CLANG not found (apt-get install clang)" >&2; exit 1; }
mkdir -p "$OUT/corpus" "$OUT/artifacts"

# The harness and every core source, instrumented. kpu_alloc_std.c gives the host allocator.
"$CLANG" -std=c99 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Wno-unused-parameter \
  -Imodules/kpu/core host_tests/fuzz/fuzz_kmodel.c modules/kpu/core/*.c -lm \
  -o "$OUT/fuzz_kmodel"

rm -rf "$OUT/seeds"
"$PY" host_tests/fuzz/make_seeds.py "$OUT/seeds" "$MAX_LEN"
[ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "$OUT/corpus"/*

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "run_fuzz.sh: fuzzing for ${SECONDS_TO_RUN}s (max_len $MAX_LEN, rss limit ${RSS_MB} MB)" >&2
# corpus first (new inputs go there), seeds second (read only)
"$OUT/fuzz_kmodel" "$OUT/corpus" "$OUT/seeds" \
  -dict=host_tests/fuzz/kmodel.dict \
  -max_total_time="$SECONDS_TO_RUN" -max_len="$MAX_LEN" -rss_limit_mb="$RSS_MB" \
  -timeout=20 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/"
echo "run_fuzz.sh: no crash in ${SECONDS_TO_RUN}s" >&2
