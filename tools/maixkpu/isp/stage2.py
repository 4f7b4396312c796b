"""kflash's stage-2 flasher program (ISP_PROG), read from the installed kflash at run time.

kflash 1.1.6 keeps it as a hex string of a zlib stream assigned to `ISP_PROG` inside
`KFlash.process`; we find that literal in kflash's source with `ast` (nothing is copied
into this project) and decode it in memory. kflash's stage-2 speaks the opcodes 0xD2-0xD9
of `maixkpu.isp.framing`; it has no flash read or hash command.
"""
from __future__ import annotations

import ast
import binascii
import hashlib
import importlib.util
import zlib
from functools import lru_cache
from pathlib import Path

KFLASH_ISP_PROG_SHA256 = "757776d0055048262ef92bd04a9f8cbad13647ec4f5c1f59494489a88d571129"
KFLASH_ISP_PROG_SIZE = 16512


class Stage2Error(Exception):
    """kflash is not installed or its stage-2 program cannot be found."""


def _kflash_source() -> Path:
    spec = importlib.util.find_spec("kflash")
    if spec is None or spec.origin is None:
        raise Stage2Error("the kflash package is not installed (pip install kflash==1.1.6); "
                          "it provides the stage-2 flasher program")
    return Path(spec.origin)


def _find_literal(tree: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            if any(isinstance(t, ast.Name) and t.id == "ISP_PROG" for t in node.targets):
                return node.value.value
    return None


@lru_cache(maxsize=1)
def kflash_isp_prog() -> bytes:
    """The decoded stage-2 program; raises Stage2Error when it is absent or unexpected."""
    source = _kflash_source()
    literal = _find_literal(ast.parse(source.read_text(encoding="utf-8")))
    if literal is None:
        raise Stage2Error(f"no ISP_PROG literal in {source}")
    try:
        prog = zlib.decompress(binascii.unhexlify(literal))
    except (binascii.Error, zlib.error) as exc:
        raise Stage2Error(f"ISP_PROG in {source} does not decode: {exc}") from exc
    return prog


def is_kflash_isp_prog(prog: bytes) -> bool:
    return hashlib.sha256(prog).hexdigest() == KFLASH_ISP_PROG_SHA256
