"""Builds maixkpu._core with ASan + UBSan into a folder of its own (run_sanitized.sh).

Same declarations, sources and flags as tools/maixkpu/_build_core.py (MAIXKPU_SANITIZE=1), but
with absolute paths: cffi compiles from inside its tmpdir, where relative paths do not resolve.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from cffi import FFI

REPO = Path(__file__).resolve().parents[2]


def main(out: Path) -> int:
    os.environ["MAIXKPU_SANITIZE"] = "1"
    spec = importlib.util.spec_from_file_location(
        "_build_core", REPO / "tools" / "maixkpu" / "_build_core.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)  # only for its flags and folders
    ffi = FFI()
    ffi.cdef("\n".join(p.read_text() for p in sorted(build.CDEFS.glob("*.h"))))
    ffi.set_source(
        "maixkpu._core",
        "\n".join(f'#include "{h.name}"' for h in build.core_headers()),
        sources=[str(p) for p in build.core_sources()],
        include_dirs=[str(d) for d in build.CORE_DIRS],
        extra_compile_args=build._cflags(),
        extra_link_args=build._ldflags(),
    )
    out.mkdir(parents=True, exist_ok=True)
    so = ffi.compile(tmpdir=str(out.resolve()), verbose=False)
    print(f"build_sanitized: {so}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
