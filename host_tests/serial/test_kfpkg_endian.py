"""The `endian` field of kfpkg entries ("little": the file KPU.load reads, "big": the
word-swapped copy KPU.load_flash streams): read from flash-list.json and layouts, written by
pack, shown by inspect, kept by unpack, checked by verify and refused on mismatch before
flashing; a malformed value is a clear error everywhere."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from maixkpu.board.flashing import kfpkg_regions
from maixkpu.cli import main
from maixkpu.commands import kfpkg as kfpkg_cmd
from maixkpu.kfpkg import (
    Entry,
    Kfpkg,
    KfpkgError,
    PackItem,
    load_layout,
    pack,
    parse_item_spec,
    read_kfpkg,
    write_kfpkg,
)
from maixkpu.kfpkg_check import ERROR, WARNING, inspect_entries, verify

MODEL = Path(__file__).resolve().parents[2] / "tools" / "maixkpu" / "data" / "demo_detector.kmodel"
BAD_VALUES = ["BIG", "middle", "", True, 1, None, ["big"]]


def word_swapped(data: bytes) -> bytes:
    """model_le2be: every 32-bit word reversed after zero-padding to 4 bytes."""
    pad = data + bytes(-len(data) % 4)
    return b"".join(pad[i:i + 4][::-1] for i in range(0, len(pad), 4))


LE = MODEL.read_bytes()
BE = word_swapped(LE)


def package(tmp_path: Path, files: list[dict], members: dict[str, bytes]) -> Path:
    """A kfpkg whose flash-list.json is written by hand (json.dumps, indent 2)."""
    path = tmp_path / "p.kfpkg"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("flash-list.json", json.dumps({"version": "0.1.0", "files": files},
                                                  indent=2))
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def expected_message(value: object, where: str) -> str:
    return (f'{where}: endian is {json.dumps(value)}: it must be "little" (KPU.load) or "big" '
            "(a word-swapped model for KPU.load_flash)")


def test_pack_writes_the_field_in_kflash_readable_json(tmp_path: Path) -> None:
    (tmp_path / "m_be.kmodel").write_bytes(BE)
    (tmp_path / "m.kmodel").write_bytes(LE)
    layout = tmp_path / "layout.json"
    layout.write_text(json.dumps({"files": [
        {"path": "m.kmodel", "address": "0x300000", "endian": "little"},
        {"path": "m_be.kmodel", "address": "0x600000", "endian": "big"},
        {"path": "m.kmodel", "address": "0x700000", "name": "plain.kmodel"}]}))
    pkg = pack(load_layout(layout))
    assert verify(pkg) == []
    out = tmp_path / "o.kfpkg"
    write_kfpkg(out, pkg)
    with zipfile.ZipFile(out) as zf:
        text = zf.read("flash-list.json").decode()
        assert zf.read("m_be.kmodel") == BE and zf.read("m.kmodel") == LE
    assert text == (
        '{\n  "version": "0.1.0",\n  "files": [\n'
        '    {\n      "address": 3145728,\n      "bin": "m.kmodel",\n'
        '      "sha256Prefix": false,\n      "endian": "little"\n    },\n'
        '    {\n      "address": 6291456,\n      "bin": "m_be.kmodel",\n'
        '      "sha256Prefix": false,\n      "endian": "big"\n    },\n'
        '    {\n      "address": 7340032,\n      "bin": "plain.kmodel",\n'
        '      "sha256Prefix": false\n    }\n  ]\n}\n')
    # kflash 1.1.6 quotes addresses with this regex, then reads address/bin/sha256Prefix only
    doc = json.loads(re.sub(r'"address": (.*),', r'"address": "\1",', text))
    assert [(int(f["address"], 0), f["bin"]) for f in doc["files"]] == \
        [(0x300000, "m.kmodel"), (0x600000, "m_be.kmodel"), (0x700000, "plain.kmodel")]
    back = read_kfpkg(out)
    assert [(e.name, e.endian) for e in back.entries] == \
        [("m.kmodel", "little"), ("m_be.kmodel", "big"), ("plain.kmodel", None)]
    assert back.flash_list_json() == text  # read then written again: the same bytes


def test_flashed_bytes_are_the_members_as_they_are(tmp_path: Path) -> None:
    """A declaration, not a conversion: flash (and unpack's image) hold the member bytes."""
    path = package(tmp_path, [
        {"address": 0x600000, "bin": "m_be.kmodel", "sha256Prefix": False, "endian": "big"}],
        {"m_be.kmodel": BE})
    pkg = read_kfpkg(path)
    assert pkg.regions() == [(0x600000, BE)] == kfpkg_regions(path)
    image = tmp_path / "flash.img"
    assert main(["kfpkg", "unpack", str(path), str(tmp_path / "out"), "--image", str(image)]) == 0
    flash = image.read_bytes()
    assert flash[0x600000:0x600000 + len(BE)] == BE
    assert flash[:0x600000] == b"\xff" * 0x600000
    with zipfile.ZipFile(path) as zf:  # unpack keeps the declaration
        assert (tmp_path / "out" / "flash-list.json").read_bytes() == zf.read("flash-list.json")


def test_inspect_shows_the_declared_order(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = package(tmp_path, [
        {"address": 0x600000, "bin": "m_be.kmodel", "sha256Prefix": False, "endian": "big"},
        {"address": 0x300000, "bin": "m.kmodel", "sha256Prefix": False}],
        {"m_be.kmodel": BE, "m.kmodel": LE})
    infos = inspect_entries(read_kfpkg(path))
    assert [(i.endian, i.model.big_endian if i.model else None) for i in infos] == \
        [("big", True), (None, False)]
    assert main(["kfpkg", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"V3 big-endian, {infos[0].model.layers} layers; declared big-endian" in out
    # nothing declared for the second entry: its details end after the layer count
    assert re.search(rf"V3 little-endian, {infos[1].model.layers} layers *│", out)


@pytest.mark.parametrize("declared,data,have,want", [
    ("little", BE, "big-endian (load_flash)", "little-endian"),
    ("big", LE, "little-endian", "big-endian (load_flash)")])
def test_a_model_in_the_other_order_is_an_error_in_verify_and_flashing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], declared: str, data: bytes,
        have: str, want: str) -> None:
    path = package(tmp_path, [
        {"address": 0x300000, "bin": "m.kmodel", "sha256Prefix": False, "endian": declared}],
        {"m.kmodel": data})
    message = (f'm.kmodel at 0x300000: {have} kmodel where its endian "{declared}" wants a '
               f"{want} one")
    assert [(p.severity, p.message) for p in verify(read_kfpkg(path))] == [(ERROR, message)]
    assert main(["kfpkg", "verify", str(path)]) == kfpkg_cmd.EXIT_PROBLEMS
    assert message in capsys.readouterr().out
    # maixkpu flash refuses before opening the port (nothing listens there)
    assert main(["flash", str(path), "--port", "socket://127.0.0.1:9", "--quiet"]) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(KfpkgError) as exc:  # the HIL / demo flashing path
        kfpkg_regions(path)
    assert str(exc.value) == f"{path}: {message}"


@pytest.mark.parametrize("value", BAD_VALUES)
def test_malformed_value_in_flash_list_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: object) -> None:
    path = package(tmp_path, [
        {"address": 0x300000, "bin": "m.kmodel", "sha256Prefix": False, "endian": value}],
        {"m.kmodel": LE})
    message = expected_message(value, "flash-list.json: files[0] (m.kmodel)")
    with pytest.raises(KfpkgError) as exc:
        read_kfpkg(path)
    assert str(exc.value) == message
    out_dir = tmp_path / "out"
    for args, code in ((["kfpkg", "inspect", str(path)], kfpkg_cmd.EXIT_USAGE),
                       (["kfpkg", "verify", str(path)], kfpkg_cmd.EXIT_PROBLEMS),
                       (["kfpkg", "unpack", str(path), str(out_dir)], kfpkg_cmd.EXIT_USAGE),
                       (["flash", str(path), "--port", "socket://127.0.0.1:9"], 2)):
        assert main(args) == code, args
        assert message in capsys.readouterr().err, args
    assert not out_dir.exists()  # unpack wrote nothing


@pytest.mark.parametrize("value", BAD_VALUES[:3])
def test_malformed_value_in_a_layout_is_a_clear_error(tmp_path: Path, value: object) -> None:
    layout = tmp_path / "layout.json"
    layout.write_text(json.dumps({"files": [
        {"path": "m.kmodel", "address": 0x300000, "endian": value}]}))
    with pytest.raises(KfpkgError) as exc:
        load_layout(layout)
    assert str(exc.value) == expected_message(value, f"{layout}: files[0] (m.kmodel)")


def test_entries_built_in_code_are_checked_too(tmp_path: Path) -> None:
    bad = Entry(0x300000, "m.kmodel", LE, False, {"endian": "Big"})
    message = expected_message("Big", "m.kmodel")
    assert [(p.severity, p.message) for p in verify(Kfpkg([bad]))] == [(ERROR, message)]
    with pytest.raises(KfpkgError, match=re.escape(message)):
        write_kfpkg(tmp_path / "x.kfpkg", Kfpkg([bad]))


def test_endian_on_a_file_that_is_not_a_kmodel_is_a_warning() -> None:
    font = Entry(0xA00000, "font.bin", b"\x00" * 4096, False, {"endian": "big"})
    assert [(p.severity, p.message) for p in verify(Kfpkg([font]))] == [
        (WARNING, 'font.bin at 0xa00000: endian "big" is declared but the file is not a kmodel '
                  "(nothing checks or uses it)")]


def test_pack_command_line_suffixes_declare_the_order(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_item_spec("m_be.kmodel@0x600000:big") == \
        PackItem(Path("m_be.kmodel"), 0x600000, None, None, {"endian": "big"})
    assert parse_item_spec("m.kmodel@0x300000:little:raw") == \
        parse_item_spec("m.kmodel@0x300000:raw:little") == \
        PackItem(Path("m.kmodel"), 0x300000, False, None, {"endian": "little"})
    (tmp_path / "m_be.kmodel").write_bytes(BE)
    (tmp_path / "m.kmodel").write_bytes(LE)
    out = tmp_path / "o.kfpkg"
    args = ["kfpkg", "pack", f"{tmp_path / 'm_be.kmodel'}@0x600000:big",
            f"{tmp_path / 'm.kmodel'}@0x300000:little", "-o", str(out)]
    assert main(args) == 0
    assert [(e.name, e.endian) for e in read_kfpkg(out).entries] == \
        [("m_be.kmodel", "big"), ("m.kmodel", "little")]
    capsys.readouterr()
    wrong = ["kfpkg", "pack", f"{tmp_path / 'm.kmodel'}@0x300000:big", "-o", str(out)]
    assert main(wrong) == kfpkg_cmd.EXIT_PROBLEMS
    assert ('m.kmodel at 0x300000: little-endian kmodel where its endian "big" wants a '
            "big-endian (load_flash) one") in capsys.readouterr().out
