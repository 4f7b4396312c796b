#!/usr/bin/env bash
# Bounded libFuzzer runs with ASan and UBSan of the kmodel loader + runtime (fuzz_kmodel), of
# MaixPy's net layer with its flash loaders (fuzz_kpu_net) and of the image core's BMP decoder
# (fuzz_bmp; its seeds and dictionary are its own).
#   host_tests/fuzz/run_fuzz.sh [SECONDS]      (default 60 in all, split between the targets;
#                                               FUZZ_SECONDS also works)
# Builds build/fuzz/<target> with clang, makes the seed corpus at run time, fuzzes and exits
# non-zero on any crash, sanitizer report, leak or harness check. FUZZ_TARGETS picks targets.
# Environment: CLANG (default clang), FUZZ_MAX_LEN (bytes, default 262144 so MNIST fits whole),
# FUZZ_RSS_MB (default 2048), FUZZ_KEEP_CORPUS=1 keeps build/fuzz/corpus-<target> between runs,
# FUZZ_SEED (libFuzzer -seed; default 0 = a new random seed each run) and FUZZ_RUNS (a fixed
# number of inputs per target instead of the time limit): with both set a run is repeatable,
# which is what CI uses; exploratory runs leave them unset.
# Before fuzzing, every input in host_tests/fuzz/regressions/<target>/ (inputs that once crashed)
# is replayed; one that fails stops the run.
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
TARGETS="${FUZZ_TARGETS:-fuzz_kmodel fuzz_kpu_net fuzz_bmp}"
set -- $TARGETS
PER_TARGET=$(( (SECONDS_TO_RUN + $# - 1) / $# ))
mkdir -p "$OUT/artifacts"

rm -rf "$OUT/seeds"
"$PY" host_tests/fuzz/make_seeds.py "$OUT/seeds" "$MAX_LEN"
rm -rf "$OUT/seeds-bmp"
"$PY" host_tests/fuzz/make_bmp_seeds.py "$OUT/seeds-bmp"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for target in $TARGETS; do
  # The harness and every core source, instrumented. kpu_alloc_std.c gives the host allocator.
  seeds="$OUT/seeds" dict=host_tests/fuzz/kmodel.dict
  core=(-Imodules/kpu/core modules/kpu/core/*.c)
  if [ "$target" = fuzz_bmp ]; then
    seeds="$OUT/seeds-bmp" dict=host_tests/fuzz/bmp.dict
    core=(-Imodules/image/core modules/image/core/*.c)
  fi
  "$CLANG" -std=c99 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Wno-unused-parameter \
    "host_tests/fuzz/$target.c" "${core[@]}" -lm \
    -o "$OUT/$target"
  regressions="host_tests/fuzz/regressions/$target"
  if compgen -G "$regressions/*" >/dev/null; then
    echo "run_fuzz.sh: $target replays $(ls "$regressions" | wc -l) past crash inputs" >&2
    "$OUT/$target" "$regressions"/* -rss_limit_mb="$RSS_MB" -timeout=20
  fi
  corpus="$OUT/corpus-$target"
  mkdir -p "$corpus"
  [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] || rm -rf "${corpus:?}"/*
  limit=(-max_total_time="$PER_TARGET")
  [ -z "${FUZZ_RUNS:-}" ] || limit=(-runs="$FUZZ_RUNS")
  echo "run_fuzz.sh: $target ${limit[*]} -seed=${FUZZ_SEED:-0} (max_len $MAX_LEN, rss limit ${RSS_MB} MB)" >&2
  # corpus first (new inputs go there), seeds second (read only)
  "$OUT/$target" "$corpus" "$seeds" \
    -dict="$dict" \
    "${limit[@]}" -seed="${FUZZ_SEED:-0}" -max_len="$MAX_LEN" -rss_limit_mb="$RSS_MB" \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$target-"
done
echo "run_fuzz.sh: no crash ($TARGETS)" >&2
