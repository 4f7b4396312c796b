"""The core's status table: names, MaixPy codes, MaixPy's exact 2001-2015 texts
(maixpy-kpu-api.md 2.1) and the diagnosis record."""
from __future__ import annotations

import pytest

from maixkpu._core import ffi, lib

# maixpy-kpu-api.md section 2.1, character for character
MAIXPY_TEXTS = {
    0: "ERR_NONE",
    2001: "ERR_PARAM: please check param, load address or kmodel file name",
    2003: "ERR_KMODEL_FORMAT: layer_header.body_size <=0",
    2004: "ERR_DECRYPT: check smodel match with your board",
    2005: "ERR_READ_FILE: read file failed",
    2006: "ERR_NO_MEM: memory not enough",
    2007: "ERR_GET_CONV_LAYER: first layer should be conv layer",
    2008: "ERR_RUN_MODEL: maybe model dirty",
    2009: "ERR_MODELS_FULL: we only support load 5 models in the same time",
    2010: "ERR_PERMITION",
    2011: "SIPEED_KPU_ERR_IDX_OUTRANGE",
    2012: "SIPEED_KPU_ERR_SIZE_NOTMATCH",
    2013: "ERR_OUTPUTS_SET: need kpu.set_outputs() to set shape",
    2014: "ERR_NOT_IMPLEMENT",
    2015: "ERR_UNKNOWN",
}

CODES = {
    "KPU_OK": 0, "KPU_ERR_ARGUMENT": 2001, "KPU_ERR_VERSION": 2002,
    "KPU_ERR_VERSION_V4V5": 2002, "KPU_ERR_BIG_ENDIAN": 2003, "KPU_ERR_FORMAT": 2003,
    "KPU_ERR_TRUNCATED": 2003, "KPU_ERR_LAYER_TYPE": 2003, "KPU_ERR_BOUNDS": 2003,
    "KPU_ERR_READ": 2005, "KPU_ERR_NO_MEMORY": 2006, "KPU_ERR_FIRST_LAYER": 2007,
    "KPU_ERR_RUN": 2008, "KPU_ERR_TIMEOUT": 2008, "KPU_ERR_INDEX": 2011,
    "KPU_ERR_SIZE": 2012, "KPU_ERR_OUTPUTS_NOT_SET": 2013, "KPU_ERR_NOT_IMPLEMENTED": 2014,
    "KPU_ERR_STATE": 2015,
}


def text(code: int, v4: int = 0) -> str:
    return ffi.string(lib.kpu_maixpy_code_text(code, v4)).decode()


@pytest.mark.parametrize("code", sorted(MAIXPY_TEXTS))
def test_maixpy_texts_are_exact(code: int) -> None:
    assert text(code) == MAIXPY_TEXTS[code]
    assert text(code, 1) == MAIXPY_TEXTS[code]


def test_2002_depends_on_the_build() -> None:
    assert text(2002) == "ERR_KMODEL_VERSION: only support kmodel V3"
    assert text(2002, 1) == "ERR_KMODEL_VERSION: only support kmodel V3/V4 now"


@pytest.mark.parametrize("code", [-1, 1, 2000, 2016, 9999])
def test_unknown_codes_read_err_unknown(code: int) -> None:
    assert text(code) == "ERR_UNKNOWN"


def test_every_status_has_name_message_and_code() -> None:
    assert lib.KPU_STATUS_COUNT == len(CODES)
    for st in range(lib.KPU_STATUS_COUNT):
        name = ffi.string(lib.kpu_status_name(st)).decode()
        assert getattr(lib, name) == st
        assert lib.kpu_status_maixpy_code(st) == CODES[name]
        assert ffi.string(lib.kpu_status_message(st)).decode()
    assert ffi.string(lib.kpu_status_message(lib.KPU_ERR_VERSION_V4V5)) == \
        b"kmodel V4/V5 not supported yet"
    assert ffi.string(lib.kpu_status_name(lib.KPU_STATUS_COUNT)) == b"KPU_ERR_UNKNOWN"
    assert lib.kpu_status_maixpy_code(lib.KPU_STATUS_COUNT + 5) == 2015


def test_diag_set_formats_truncates_and_strips_newlines() -> None:
    d = ffi.new("kpu_diag_t*")
    st = lib.kpu_diag_set(d, lib.KPU_ERR_BOUNDS, 7, b"layer %d: %s\r\n", ffi.cast("int", 7),
                          ffi.new("char[]", b"outside"))
    assert st == lib.KPU_ERR_BOUNDS
    assert (d.status, d.layer, ffi.string(d.text)) == (lib.KPU_ERR_BOUNDS, 7, b"layer 7: outside")
    long = b"x" * 500
    lib.kpu_diag_set(d, lib.KPU_ERR_FORMAT, -1, b"%s", ffi.new("char[]", long))
    assert ffi.string(d.text) == long[:lib.KPU_DIAG_TEXT - 1]
    assert lib.kpu_diag_set(ffi.NULL, lib.KPU_ERR_RUN, 0, b"ignored") == lib.KPU_ERR_RUN
    lib.kpu_diag_clear(d)
    assert (d.status, d.layer, ffi.string(d.text)) == (lib.KPU_OK, -1, b"")
