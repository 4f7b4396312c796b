"""Inspect and verify kfpkg packages (see `maixkpu.kfpkg` for the format).

Models are recognised by their header: V3 starts with the u32 3 (a word-swapped "big-endian"
V3, as MaixPy's `load_flash` needs, starts with 00 00 00 03); V4/V5 start with 'KMDL' and the
u32 version. When `maixkpu.core` (the C runtime) is importable its validator checks models
fully; otherwise the headers are checked here.

Endianness: MaixPy's `kpu.load(address)` takes the normal little-endian file, `kpu.load_flash`
a word-swapped copy padded to 4 bytes, which Sipeed's converter names `<name>_be.<ext>`.
An entry's expectation comes from its `endian` field (layout or flash-list.json, see
`maixkpu.kfpkg`) or else from that `_be` naming.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Callable, Optional

from maixkpu.isp import bootimage
from maixkpu.kfpkg import FLASH_SIZE, Entry, Kfpkg, KfpkgError

SECTOR = 4096
MAIXPY_MODEL_LIMIT = 0x600000  # MaixPy's flash loader refuses bigger models ("model size err")
MAIXPY_SPIFFS = (0xD00000, 0x1000000)  # MaixPy's file system region
KMDL = b"LDMK"  # 'KMDL' as a little-endian u32
KMDL_BE = b"KMDL"

ERROR, WARNING = "error", "warning"

AddProblem = Callable[[str, Optional[int], str], None]


@dataclass(frozen=True)
class ModelInfo:
    version: int  # 3, 4, 5
    big_endian: bool
    layers: int | None  # V3 layers, V4 nodes, V5 modules
    outputs: int | None
    problem: str | None  # why the header is invalid, None when it looks sound


@dataclass(frozen=True)
class EntryInfo:
    index: int
    name: str
    address: int
    size: int  # bytes in flash
    end: int
    kind: str  # "firmware", "kmodel", "boot image", "raw", "missing"
    sha256: str | None  # of the member file
    model: ModelInfo | None
    firmware_check: str | None  # "ok ..." or the reason a boot image is invalid
    endian: str | None = None  # the byte order the entry declares ("little"/"big")


@dataclass(frozen=True)
class Problem:
    severity: str
    message: str
    entry: int | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


# -- kmodel headers ---------------------------------------------------------------------------
def _v3_header(words: bytes, size: int, big: bool) -> ModelInfo:
    fmt = ">" if big else "<"
    if size < 28:
        return ModelInfo(3, big, None, None, "truncated V3 header")
    _, _flags, arch, layers, _start, _mem, outputs = struct.unpack_from(fmt + "7I", words)
    problem = None
    if arch != 0:
        problem = f"V3 header arch {arch} (must be 0, K210)"
    elif layers == 0 or layers > 4096 or outputs == 0 or outputs > 1024:
        problem = f"V3 header has {layers} layers and {outputs} outputs"
    elif 28 + 8 * (outputs + layers) > size:
        problem = "V3 layer table runs past the end of the file"
    else:
        body = 28 + 8 * outputs + 8 * layers
        base = 28 + 8 * outputs
        total = sum(struct.unpack_from(fmt + "I", words, base + 8 * i + 4)[0]
                    for i in range(layers))
        if body + total > size + 7:  # the writer may omit up to 7 bytes of final padding
            problem = f"V3 layer bodies need {body + total} bytes, the file has {size}"
    return ModelInfo(3, big, layers, outputs, problem)


def _kmdl_header(data: bytes, big: bool) -> ModelInfo:
    fmt = ">" if big else "<"
    if len(data) < 32:
        return ModelInfo(0, big, None, None, "truncated KMDL header")
    version = struct.unpack_from(fmt + "I", data, 4)[0]
    if version == 4 and len(data) >= 40:
        nodes, _inputs, outputs = struct.unpack_from(fmt + "3I", data, 24)
        return ModelInfo(4, big, nodes, outputs, None)
    if version == 5:
        modules = struct.unpack_from(fmt + "I", data, 20)[0]
        return ModelInfo(5, big, modules, None, None)
    return ModelInfo(version, big, None, None, f"unknown kmodel version {version}")


def sniff_kmodel(data: bytes) -> ModelInfo | None:
    """Header facts when `data` looks like a kmodel, else None."""
    head = data[:4]
    if head == b"\x03\x00\x00\x00":
        return _v3_header(data, len(data), False)
    if head == b"\x00\x00\x00\x03":
        info = _v3_header(data, len(data), True)
        if info.problem is None and len(data) % 4:
            info = ModelInfo(3, True, info.layers, info.outputs,
                             "big-endian model is not padded to a multiple of 4 bytes")
        return info
    if head == KMDL:
        return _kmdl_header(data, False)
    if head == KMDL_BE:
        return _kmdl_header(data, True)
    return None


def _core_problem(data: bytes, info: ModelInfo) -> str | None:
    """The C runtime's verdict on a V3 model, or None when it accepts it or is unavailable.

    V4/V5 containers are only header-checked here: MaixPy runs V4 even where our runtime
    does not, so "unsupported" must not make a package invalid.
    """
    if info.version != 3:
        return None
    try:
        from maixkpu import core
    except Exception:  # extension not built or not importable: header checks only
        return None
    try:
        core.validate(data, convert_big_endian=info.big_endian)
    except core.KpuNotImplementedError:
        return None  # a valid container this runtime does not run (e.g. V5)
    except core.KpuError as exc:
        return str(exc)
    return None


# -- inspect --------------------------------------------------------------------------------------
def _firmware_check(entry: Entry) -> str | None:
    if entry.data is None:
        return None
    if entry.sha256_prefix:
        payload, error = bootimage.unwrap(entry.flash_bytes())
        if error:
            return error
        return f"boot header ok, {len(payload or b'')} B"
    if entry.address == 0:
        payload, error = bootimage.unwrap(entry.data)
        return f"raw boot image ok, {len(payload or b'')} B" if payload else \
            f"not bootable: {error}"
    return None


def inspect_entries(pkg: Kfpkg, core_check: bool = True) -> list[EntryInfo]:
    infos = []
    for i, entry in enumerate(pkg.entries):
        model = None
        if entry.data is None:
            kind, digest = "missing", None
        else:
            digest = hashlib.sha256(entry.data).hexdigest()
            model = None if entry.sha256_prefix else sniff_kmodel(entry.data)
            if model is not None and model.problem is None and core_check:
                problem = _core_problem(entry.data, model)
                if problem:
                    model = ModelInfo(model.version, model.big_endian, model.layers,
                                      model.outputs, problem)
            if entry.sha256_prefix:
                kind = "firmware"
            elif model is not None:
                kind = "kmodel"
            elif entry.address == 0 and bootimage.unwrap(entry.data)[0] is not None:
                kind = "boot image"
            else:
                kind = "raw"
        infos.append(EntryInfo(i, entry.name, entry.address, entry.flash_size, entry.end, kind,
                               digest, model, _firmware_check(entry), _declared(entry)))
    return infos


# -- verify ---------------------------------------------------------------------------------------
_BE_NAME = re.compile(r"_be(\.|$)", re.IGNORECASE)


def _declared(entry: Entry) -> str | None:
    """The entry's endian field, None when absent or malformed (verify reports that)."""
    try:
        return entry.endian
    except KfpkgError:
        return None


def expected_big_endian(entry: Entry) -> bool | None:
    """True/False when the endian field or the file name says which byte order is wanted."""
    endian = _declared(entry)
    if endian is not None:
        return endian == "big"
    return True if _BE_NAME.search(entry.name) else None


def verify(pkg: Kfpkg, flash_size: int = FLASH_SIZE, core_check: bool = True) -> list[Problem]:
    """Everything that would make flashing fail or leave a board that cannot use the data."""
    problems: list[Problem] = []

    def add(severity: str, index: int | None, message: str) -> None:
        problems.append(Problem(severity, message, index))

    if not pkg.entries:
        add(ERROR, None, "the package lists no files")
    infos = inspect_entries(pkg, core_check)
    for entry, info in zip(pkg.entries, infos):
        i, where = info.index, f"{entry.name} at 0x{entry.address:06x}"
        if entry.data is None:
            add(ERROR, i, f"{entry.name}: named in flash-list.json but missing from the zip")
            continue
        if entry.address < 0:
            add(ERROR, i, f"{where}: negative address")
        if entry.address % SECTOR:
            add(ERROR, i, f"{where}: address is not 4 KiB aligned (flash erases whole sectors)")
        if entry.end > flash_size:
            add(ERROR, i, f"{where}: ends at 0x{entry.end:x}, beyond the "
                          f"{flash_size // (1024 * 1024)} MiB flash")
        if not entry.data:
            add(WARNING, i, f"{where}: empty file")
        if entry.sha256_prefix and entry.address != 0:
            add(WARNING, i, f"{where}: bootable image not at 0 (the boot ROM only boots 0x0)")
        if entry.sha256_prefix and info.model is None and sniff_kmodel(entry.data):
            add(WARNING, i, f"{where}: a kmodel wrapped as a bootable image (sha256Prefix)")
        if entry.address == 0 and not entry.sha256_prefix and info.kind != "boot image":
            add(ERROR, i, f"{where}: raw data at 0 without a boot header: the board will not boot")
        try:
            declared = entry.endian
        except KfpkgError as exc:
            add(ERROR, i, str(exc))
            declared = None
        if info.model is not None:
            _verify_model(entry, info.model, where, i, add)
        elif declared is not None:
            add(WARNING, i, f'{where}: endian "{declared}" is declared but the file is not a '
                            "kmodel (nothing checks or uses it)")
    _verify_overlaps(pkg, add)
    return problems


def _verify_model(entry: Entry, model: ModelInfo, where: str, i: int, add: AddProblem) -> None:
    if model.problem:
        add(ERROR, i, f"{where}: invalid kmodel: {model.problem}")
    want_big = expected_big_endian(entry)
    mismatch = _order_mismatch(entry, model, where)
    if mismatch:
        add(ERROR, i, mismatch)
    elif want_big is None and model.big_endian:
        add(WARNING, i, f"{where}: big-endian (word-swapped) kmodel: only KPU.load_flash can "
                        f"use it, KPU.load(0x{entry.address:x}) refuses it (name it *_be or set "
                        f"endian = \"big\" in the layout to say it is meant)")
    if model.big_endian and model.version != 3:
        add(ERROR, i, f"{where}: big-endian V{model.version} kmodel (only V3 is word-swapped)")
    if entry.data is not None and len(entry.data) > MAIXPY_MODEL_LIMIT:
        add(WARNING, i, f"{where}: {len(entry.data)} bytes, over MaixPy's 6 MiB model limit")
    lo, hi = MAIXPY_SPIFFS
    if entry.address < hi and entry.end > lo:
        add(WARNING, i, f"{where}: inside MaixPy's file system region 0xD00000-0xFFFFFF")


def _order_mismatch(entry: Entry, model: ModelInfo, where: str) -> str | None:
    """Why the model's byte order is not the one its endian field or _be name asks for."""
    want_big = expected_big_endian(entry)
    if want_big is None or want_big == model.big_endian:
        return None
    have = "big-endian (load_flash)" if model.big_endian else "little-endian"
    want = "big-endian (load_flash)" if want_big else "little-endian"
    declared = _declared(entry)
    source = f'its endian "{declared}"' if declared else "its _be name"
    return f"{where}: {have} kmodel where {source} wants a {want} one"


def declared_order_errors(pkg: Kfpkg) -> list[str]:
    """What flashing must refuse about byte order even when nothing else is verified: a
    malformed endian field, or a kmodel in the other order than its endian field declares."""
    errors = []
    for entry in pkg.entries:
        try:
            declared = entry.endian
        except KfpkgError as exc:
            errors.append(str(exc))
            continue
        model = sniff_kmodel(entry.data) if entry.data and not entry.sha256_prefix else None
        if declared is not None and model is not None:
            mismatch = _order_mismatch(entry, model, f"{entry.name} at 0x{entry.address:06x}")
            if mismatch:
                errors.append(mismatch)
    return errors


def _verify_overlaps(pkg: Kfpkg, add: AddProblem) -> None:
    spans = sorted((e.address, e.end, i, e.name) for i, e in enumerate(pkg.entries)
                   if e.data is not None and e.flash_size)
    if not spans:
        return
    reach = spans[0]  # the span reaching furthest so far: catches overlaps with any earlier one
    for span in spans[1:]:
        a0, a1, _, an = reach
        b0, b1, bi, bn = span
        if b0 < a1:
            add(ERROR, bi, f"{bn} at 0x{b0:06x}-0x{b1:06x} overlaps {an} at 0x{a0:06x}-0x{a1:06x}")
        elif b0 // SECTOR == (a1 - 1) // SECTOR:
            add(ERROR, bi, f"{bn} at 0x{b0:06x} shares a 4 KiB sector with the end of {an}")
        if b1 > a1:
            reach = span
