"""kfpkg packages: read, write and pack.

A kfpkg is a zip with `flash-list.json` at its root plus the files it names:
``{"version": "0.1.0", "files": [{"address": N, "bin": NAME, "sha256Prefix": BOOL}]}``.
`sha256Prefix: true` means the file goes to flash wrapped as a bootable image
(`maixkpu.isp.bootimage`), `false` means raw bytes.

kflash 1.1.6 does not parse the JSON directly: it first quotes every address with a regex
that needs ``"address": `` (one space) and a comma later on the same line. So we write the
JSON pretty-printed, one key per line, with "address" as the first key and a decimal
value (valid JSON, the layout of Sipeed's own packages). Reading accepts that, bare hex
addresses (``0x00300000``, which Sipeed's docs show) and quoted ones.

An entry may also say which byte order its kmodel is in, ``"endian": "big"|"little"``
(one of those two strings, nothing else): "little" is the normal file `KPU.load(address)`
reads, "big" the word-swapped copy `KPU.load_flash` streams (maixpy-kpu-api spec 4.2). It
is a declaration, never a conversion: the bytes are flashed as they are, and
`kfpkg_check.verify` (run by pack and flash) reports a model in the other order as an error.
Layout files give it the same way; pack writes it into flash-list.json after sha256Prefix
(kflash reads only address, bin and sha256Prefix, so the package stays kflash-compatible).

Inspection and verification live in `maixkpu.kfpkg_check`.
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from maixkpu.isp import bootimage

FLASH_LIST = "flash-list.json"
FORMAT_VERSION = "0.1.0"
FLASH_SIZE = 16 * 1024 * 1024
COMPRESSIONS = {
    "stored": zipfile.ZIP_STORED,
    "deflate": zipfile.ZIP_DEFLATED,
    "bzip2": zipfile.ZIP_BZIP2,
    "lzma": zipfile.ZIP_LZMA,
}
FIRMWARE_SUFFIXES = (".bin",)

PathLike = Union[str, Path]

ENDIANS = ("little", "big")

# A bare hex literal after "address": (not valid JSON) -> quote it before json.loads.
_BARE_ADDRESS = re.compile(r'("address"\s*:\s*)(0[xX][0-9a-fA-F]+)')


class KfpkgError(Exception):
    """The package or layout cannot be read or written."""


@dataclass
class Entry:
    """One flash-list entry. `data` is None when the named member is missing from the zip."""

    address: int
    name: str
    data: bytes | None
    sha256_prefix: bool
    meta: dict[str, Any] = field(default_factory=dict)  # extras: "endian", layout keys

    @property
    def endian(self) -> str | None:
        """The byte order the entry declares for its kmodel ("little"/"big"), or None."""
        value = self.meta.get("endian")
        return None if value is None else parse_endian(value, self.name)

    def flash_bytes(self) -> bytes:
        """What lands in flash: the bootable image for sha256Prefix entries, else the data."""
        if self.data is None:
            raise KfpkgError(f"{self.name} is missing from the package")
        return bootimage.wrap(self.data) if self.sha256_prefix else self.data

    @property
    def flash_size(self) -> int:
        if self.data is None:
            return 0
        return len(self.data) + (bootimage.OVERHEAD if self.sha256_prefix else 0)

    @property
    def end(self) -> int:
        return self.address + self.flash_size


@dataclass
class Kfpkg:
    entries: list[Entry] = field(default_factory=list)
    version: str = FORMAT_VERSION
    extra_members: list[str] = field(default_factory=list)  # zip members nobody names

    def flash_list_json(self) -> str:
        return flash_list_json(self.entries, self.version)

    def regions(self) -> list[tuple[int, bytes]]:
        """(address, bytes) in flashing order."""
        return [(e.address, e.flash_bytes()) for e in self.entries]

    def render(self, size: int = FLASH_SIZE) -> bytes:
        """The whole flash after writing this package onto an erased chip."""
        image = bytearray(b"\xff" * size)
        for address, data in self.regions():
            if address + len(data) > size:
                raise KfpkgError(f"entry at 0x{address:x} runs past the {size}-byte flash")
            image[address:address + len(data)] = data
        return bytes(image)


def flash_list_json(entries: list[Entry], version: str = FORMAT_VERSION) -> str:
    """flash-list.json text in the one layout kflash 1.1.6's address regex handles."""
    lines = ["{", f'  "version": {json.dumps(version)},', '  "files": [']
    for i, entry in enumerate(entries):
        lines += [
            "    {",
            f'      "address": {entry.address},',
            f'      "bin": {json.dumps(entry.name)},',
            f'      "sha256Prefix": {"true" if entry.sha256_prefix else "false"}',
        ]
        if entry.endian is not None:
            lines[-1] += ","
            lines.append(f'      "endian": {json.dumps(entry.endian)}')
        lines.append("    }" + ("," if i + 1 < len(entries) else ""))
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def parse_address(value: object) -> int:
    if isinstance(value, bool):
        raise KfpkgError(f"invalid address {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip(), 0)
        except ValueError:
            pass
    raise KfpkgError(f"invalid address {value!r}")


def parse_endian(value: object, where: str) -> str:
    """A declared byte order: exactly "little" or "big" (anything else is an error, so that a
    typo cannot silently turn the check off)."""
    if isinstance(value, str) and value in ENDIANS:
        return value
    raise KfpkgError(f'{where}: endian is {json.dumps(value)}: it must be "little" '
                     '(KPU.load) or "big" (a word-swapped model for KPU.load_flash)')


def parse_flash_list(text: str) -> tuple[str, list[tuple[int, str, bool, str | None]]]:
    """(version, [(address, bin, sha256Prefix, endian or None)]) from flash-list.json text."""
    try:
        doc = json.loads(_BARE_ADDRESS.sub(r'\1"\2"', text))
    except json.JSONDecodeError as exc:
        raise KfpkgError(f"{FLASH_LIST} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise KfpkgError(f'{FLASH_LIST} has no "files" list')
    out = []
    for i, item in enumerate(doc["files"]):
        if not isinstance(item, dict):
            raise KfpkgError(f"{FLASH_LIST}: files[{i}] is not an object")
        for key in ("address", "bin", "sha256Prefix"):
            if key not in item:
                raise KfpkgError(f'{FLASH_LIST}: files[{i}] has no "{key}" (kflash needs it)')
        if not isinstance(item["sha256Prefix"], bool):
            raise KfpkgError(f"{FLASH_LIST}: files[{i}].sha256Prefix is not true/false")
        if not isinstance(item["bin"], str) or not item["bin"]:
            raise KfpkgError(f"{FLASH_LIST}: files[{i}].bin is not a file name")
        endian = (parse_endian(item["endian"], f"{FLASH_LIST}: files[{i}] ({item['bin']})")
                  if "endian" in item else None)
        out.append((parse_address(item["address"]), item["bin"], item["sha256Prefix"], endian))
    return str(doc.get("version", "")), out


def read_kfpkg(path: PathLike) -> Kfpkg:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if FLASH_LIST not in names:
                raise KfpkgError(f"{path}: no {FLASH_LIST} in the package root")
            version, items = parse_flash_list(zf.read(FLASH_LIST).decode("utf-8-sig"))
            entries = []
            for address, name, prefix, endian in items:
                data = zf.read(name) if name in names else None
                meta = {} if endian is None else {"endian": endian}
                entries.append(Entry(address, name, data, prefix, meta))
    except zipfile.BadZipFile as exc:
        raise KfpkgError(f"{path}: not a zip archive ({exc})") from exc
    except (zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise KfpkgError(f"{path}: cannot read the archive ({exc})") from exc
    named = {e.name for e in entries} | {FLASH_LIST}
    extra = [n for n in names if n not in named and not n.endswith("/")]
    return Kfpkg(entries, version, extra)


def write_kfpkg(path: PathLike, pkg: Kfpkg, compression: str = "deflate") -> None:
    if compression not in COMPRESSIONS:
        raise KfpkgError(f"unknown compression {compression!r}: {', '.join(COMPRESSIONS)}")
    seen: set[str] = set()
    for entry in pkg.entries:
        if entry.data is None:
            raise KfpkgError(f"{entry.name}: no data to write")
        if entry.name in seen:
            raise KfpkgError(f"two entries named {entry.name!r}")
        if "/" in entry.name or "\\" in entry.name or entry.name == FLASH_LIST:
            raise KfpkgError(f"member name {entry.name!r} must be a plain file name")
        seen.add(entry.name)
    method = COMPRESSIONS[compression]
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr(FLASH_LIST, pkg.flash_list_json())
        for entry in pkg.entries:
            assert entry.data is not None
            zf.writestr(entry.name, entry.data)


def unpack(pkg_path: PathLike, out_dir: PathLike) -> list[Path]:
    """Extract flash-list.json and the named members (only plain names) into out_dir."""
    pkg = read_kfpkg(pkg_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / FLASH_LIST]
    with zipfile.ZipFile(pkg_path) as zf:
        written[0].write_bytes(zf.read(FLASH_LIST))
    for entry in pkg.entries:
        if entry.data is None:
            continue
        parts = Path(entry.name.replace("\\", "/")).parts
        if not parts or entry.name.startswith(("/", "\\")) or ".." in parts \
                or any(":" in p for p in parts):
            raise KfpkgError(f"refusing to extract a member outside the folder: {entry.name!r}")
        target = out.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(entry.data)
        written.append(target)
    return written


# -- packing ------------------------------------------------------------------------------------
@dataclass
class PackItem:
    path: Path
    address: int
    bootable: bool | None = None  # None: .bin at address 0 is firmware, everything else raw
    name: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def is_bootable(self) -> bool:
        if self.bootable is not None:
            return self.bootable
        return self.address == 0 and self.path.suffix.lower() in FIRMWARE_SUFFIXES


def parse_item_spec(spec: str) -> PackItem:
    """`FILE[@ADDRESS][:raw|:boot][:little|:big]` from the command line (the two suffixes in
    either order); no address means 0. `:little` / `:big` give the entry's endian field."""
    bootable: bool | None = None
    meta: dict[str, Any] = {}
    stripped = True
    while stripped:
        stripped = False
        for suffix in (":raw", ":boot", ":little", ":big"):
            if spec.endswith(suffix):
                spec, stripped = spec[: -len(suffix)], True
                if suffix in (":little", ":big"):
                    meta["endian"] = suffix[1:]
                else:
                    bootable = suffix == ":boot"
    path, sep, addr = spec.rpartition("@")
    if not sep:
        path, addr = spec, "0"
    return PackItem(Path(path), parse_address(addr), bootable, None, meta)


def load_layout(path: PathLike) -> list[PackItem]:
    """Pack items from a JSON or (Python 3.11+) TOML layout; paths are relative to it."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        try:
            import tomllib
        except ImportError as exc:  # Python < 3.11
            raise KfpkgError("TOML layouts need Python 3.11+ (tomllib); use JSON") from exc
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise KfpkgError(f"{path}: {exc}") from exc
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise KfpkgError(f"{path}: {exc}") from exc
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list) or not files:
        raise KfpkgError(f'{path}: needs a non-empty "files" list')
    items = []
    for i, item in enumerate(files):
        if not isinstance(item, dict) or "path" not in item or "address" not in item:
            raise KfpkgError(f"{path}: files[{i}] needs path and address")
        bootable = item.get("bootable")
        if bootable is not None and not isinstance(bootable, bool):
            raise KfpkgError(f"{path}: files[{i}].bootable must be true or false")
        meta = {k: v for k, v in item.items() if k not in ("path", "address", "bootable", "name")}
        if "endian" in meta:
            meta["endian"] = parse_endian(meta["endian"], f"{path}: files[{i}] ({item['path']})")
        items.append(PackItem(path.parent / item["path"], parse_address(item["address"]),
                              bootable, item.get("name"), meta))
    return items


def pack(items: list[PackItem]) -> Kfpkg:
    """A package from files on disk, in the given order."""
    entries = []
    for item in items:
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            raise KfpkgError(f"cannot read {item.path}: {exc.strerror or exc}") from exc
        entries.append(Entry(item.address, item.name or item.path.name, data,
                             item.is_bootable(), dict(item.meta)))
    return Kfpkg(entries)
