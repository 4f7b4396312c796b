"""cffi (API mode) build of maixkpu._core from the portable C cores in modules/kpu/core and
modules/image/core (MaixPy's image subset).

Used by `pip install .` (setup.py's cffi_modules) and directly by `make core` for an in-place
rebuild. The declarations cffi sees are the files in tools/maixkpu/cdefs/*.h (plain C
declarations, no preprocessor), one per core header, concatenated in name order.

Environment: MAIXKPU_SANITIZE=1 adds -fsanitize=address,undefined (run Python with libasan
preloaded); MAIXKPU_CFLAGS adds flags.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORE = ROOT / "modules" / "kpu" / "core"
IMAGE_CORE = ROOT / "modules" / "image" / "core"
# Every folder whose C sources and headers go into the extension.
CORE_DIRS = (CORE, IMAGE_CORE)
CDEFS = HERE / "cdefs"


def core_sources() -> list[Path]:
    return [p for d in CORE_DIRS for p in sorted(d.glob("*.c"))]


def core_headers() -> list[Path]:
    return [p for d in CORE_DIRS for p in sorted(d.glob("*.h"))]


# setuptools wants source paths relative to the project root; the in-place rebuild below runs
# the compiler from its temporary folder, so it needs absolute paths.
_ABSOLUTE = __name__ == "__main__"


def _rel(p: Path) -> str:
    if _ABSOLUTE:
        return str(p)
    try:
        return os.path.relpath(p, Path.cwd())
    except ValueError:
        return str(p)


def _cflags() -> list[str]:
    flags = ["-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    if os.environ.get("MAIXKPU_SANITIZE"):
        flags += ["-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=undefined"]
    flags += os.environ.get("MAIXKPU_CFLAGS", "").split()
    return flags


def _ldflags() -> list[str]:
    return ["-fsanitize=address,undefined"] if os.environ.get("MAIXKPU_SANITIZE") else []


ffibuilder = FFI()
ffibuilder.cdef("\n".join(p.read_text() for p in sorted(CDEFS.glob("*.h"))))
ffibuilder.set_source(
    "maixkpu._core",
    "\n".join(f'#include "{h.name}"' for h in core_headers()),
    sources=[_rel(p) for p in core_sources()],
    include_dirs=[_rel(d) for d in CORE_DIRS],
    extra_compile_args=_cflags(),
    extra_link_args=_ldflags(),
)

if __name__ == "__main__":
    # in-place rebuild: python tools/maixkpu/_build_core.py
    os.chdir(ROOT)
    build_dir = ROOT / "build" / ("cffi-asan" if os.environ.get("MAIXKPU_SANITIZE") else "cffi")
    build_dir.mkdir(parents=True, exist_ok=True)
    so = ffibuilder.compile(tmpdir=str(build_dir), verbose=False)
    target = HERE / Path(so).name
    for stale in HERE.glob("_core*.so"):  # keep one extension so imports are unambiguous
        if stale.name != target.name:
            stale.unlink()
    Path(so).replace(target)
    print(target, file=sys.stderr)
