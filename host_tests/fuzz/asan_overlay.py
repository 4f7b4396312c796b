"""pytest plugin for run_sanitized.sh: makes `maixkpu._core` load from MAIXKPU_CORE_DIR (the
ASan/UBSan build) while the rest of the package comes from tools/. Loaded with -p, before any
test imports the extension; fails loudly if the sanitized build is not the one in use."""
from __future__ import annotations

import os
from pathlib import Path

import maixkpu

_DIR = os.environ.get("MAIXKPU_CORE_DIR")
if not _DIR:
    raise RuntimeError("asan_overlay: MAIXKPU_CORE_DIR is not set")
maixkpu.__path__.insert(0, _DIR)

import maixkpu._core as _core  # noqa: E402  (must come after the path change)

if Path(_core.__file__).resolve().parent != Path(_DIR).resolve():
    raise RuntimeError(f"asan_overlay: maixkpu._core came from {_core.__file__}, not {_DIR}")
