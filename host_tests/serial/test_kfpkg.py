"""kfpkg read/write/pack/verify and the `maixkpu kfpkg` CLI, with Sipeed's real packages."""
from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
import zipfile
from pathlib import Path

import pytest

from host_tests.conftest import shared_model
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
    unpack,
    write_kfpkg,
)
from maixkpu.kfpkg_check import ERROR, inspect_entries, verify

FACE_PKG = "sipeed_face_model_at_0x300000.kfpkg"
FACE_BE_PKG = "sipeed_face_model_be_at_0x600000.kfpkg"
FACE_MODEL = "sipeed_facedetect_320x240.kmodel"
MNIST = "sipeed_mnist_28x28.kmodel"

# kflash 1.1.6 quotes addresses with this substitution before json.loads (spec 6.1) and then
# reads them with int(x, 0).
KFLASH_ADDRESS_RE = (r'"address": (.*),', r'"address": "\1",')


def kflash_parse(text: str) -> list[tuple[int, str, bool]]:
    doc = json.loads(re.sub(KFLASH_ADDRESS_RE[0], KFLASH_ADDRESS_RE[1], text))
    return [(int(f["address"], 0), f["bin"], f["sha256Prefix"]) for f in doc["files"]]


def boot_image(firmware: bytes) -> bytes:
    """Spec section 5, written out independently of maixkpu.isp.bootimage."""
    head = bytes([0x02]) + len(firmware).to_bytes(4, "little") + firmware
    return head + hashlib.sha256(head).digest()


def v3_model(layers: int = 2, arch: int = 0, body: int = 16) -> bytes:
    """A minimal V3 kmodel header + layer table + zero bodies."""
    head = struct.pack("<7I", 3, 1, arch, layers, 0, 64, 1) + struct.pack("<II", 0, 4)
    table = b"".join(struct.pack("<II", 12, body) for _ in range(layers))
    return head + table + bytes(body * layers)


def swap_words(data: bytes) -> bytes:
    pad = data + bytes(-len(data) % 4)
    return b"".join(pad[i:i + 4][::-1] for i in range(0, len(pad), 4))


def messages(pkg: Kfpkg) -> list[str]:
    return [p.message for p in verify(pkg, core_check=False) if p.severity == ERROR]


# -- the real packages --
def test_real_face_package_reads_as_documented() -> None:
    pkg = read_kfpkg(shared_model(FACE_PKG))
    assert [(e.address, e.name, e.sha256_prefix) for e in pkg.entries] == \
        [(0x300000, "facedetect.kmodel", False)]
    assert pkg.entries[0].data == shared_model(FACE_MODEL).read_bytes()
    (info,) = inspect_entries(pkg, core_check=False)
    assert (info.kind, info.size, info.end) == ("kmodel", 388776, 0x300000 + 388776)
    assert info.model is not None
    assert (info.model.version, info.model.big_endian, info.model.layers) == (3, False, 24)
    assert info.model.problem is None
    assert verify(pkg, core_check=False) == []


def test_real_big_endian_package_is_a_word_swapped_copy() -> None:
    pkg = read_kfpkg(shared_model(FACE_BE_PKG))
    (entry,) = pkg.entries
    assert (entry.address, entry.name) == (0x600000, "facedetect_be.kmodel")
    assert entry.data == swap_words(shared_model(FACE_MODEL).read_bytes())
    (info,) = inspect_entries(pkg, core_check=False)
    assert info.model is not None and info.model.big_endian and info.model.layers == 24
    assert verify(pkg, core_check=False) == []


def test_real_package_flash_list_is_what_kflash_parses() -> None:
    with zipfile.ZipFile(shared_model(FACE_PKG)) as zf:
        text = zf.read("flash-list.json").decode()
    assert kflash_parse(text) == [(0x300000, "facedetect.kmodel", False)]


# -- round trips --
@pytest.mark.parametrize("compression", ["stored", "deflate", "bzip2", "lzma"])
def test_pack_write_read_round_trip(tmp_path: Path, compression: str) -> None:
    firmware = bytes(range(256)) * 300
    (tmp_path / "maixpy.bin").write_bytes(firmware)
    model = shared_model(FACE_MODEL)
    pkg = pack([parse_item_spec(str(tmp_path / "maixpy.bin")),
                parse_item_spec(f"{model}@0x300000")])
    out = tmp_path / "a.kfpkg"
    write_kfpkg(out, pkg, compression)
    with zipfile.ZipFile(out) as zf:
        methods = {i.filename: i.compress_type for i in zf.infolist()}
        listed = kflash_parse(zf.read("flash-list.json").decode())
    expected_method = {"stored": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED,
                       "bzip2": zipfile.ZIP_BZIP2, "lzma": zipfile.ZIP_LZMA}[compression]
    assert set(methods.values()) == {expected_method}
    assert listed == [(0, "maixpy.bin", True), (0x300000, FACE_MODEL, False)]
    back = read_kfpkg(out)
    assert [(e.address, e.name, e.sha256_prefix, e.data) for e in back.entries] == \
        [(0, "maixpy.bin", True, firmware), (0x300000, FACE_MODEL, False, model.read_bytes())]
    regions = back.regions()
    assert regions[0] == (0, boot_image(firmware))
    assert regions[1] == (0x300000, model.read_bytes())


def test_unpack_and_flash_image(tmp_path: Path) -> None:
    firmware = b"\x13\x00\x00\x00" * 1000
    pkg = Kfpkg([Entry(0, "fw.bin", firmware, True),
                 Entry(0x200000, "m.kmodel", shared_model(MNIST).read_bytes(), False)])
    write_kfpkg(tmp_path / "p.kfpkg", pkg, "lzma")
    files = unpack(tmp_path / "p.kfpkg", tmp_path / "out")
    assert sorted(p.name for p in files) == ["flash-list.json", "fw.bin", "m.kmodel"]
    assert (tmp_path / "out" / "fw.bin").read_bytes() == firmware
    assert (tmp_path / "out" / "m.kmodel").read_bytes() == shared_model(MNIST).read_bytes()
    image = read_kfpkg(tmp_path / "p.kfpkg").render(4 * 1024 * 1024)
    mnist = shared_model(MNIST).read_bytes()
    expected = bytearray(b"\xff" * (4 * 1024 * 1024))
    expected[:len(firmware) + 37] = boot_image(firmware)
    expected[0x200000:0x200000 + len(mnist)] = mnist
    assert image == bytes(expected)


def test_written_json_survives_kflash_regex_but_compact_json_would_not(tmp_path: Path) -> None:
    entries = [Entry(0, "a.bin", b"x", True), Entry(0xA00000, "font.bin", b"y", False)]
    text = Kfpkg(entries).flash_list_json()
    assert kflash_parse(text) == [(0, "a.bin", True), (0xA00000, "font.bin", False)]
    compact = json.dumps({"version": "0.1.0", "files": [
        {"address": 0, "bin": "a.bin", "sha256Prefix": True},
        {"address": 10485760, "bin": "font.bin", "sha256Prefix": False}]})
    with pytest.raises(json.JSONDecodeError):
        kflash_parse(compact)  # the layout matters: kflash cannot read this form


def test_reader_accepts_bare_hex_addresses(tmp_path: Path) -> None:
    text = ('{\n  "version": "0.1.0",\n  "files": [\n    {\n      "address": 0x00A00000,\n'
            '      "bin": "font.bin",\n      "sha256Prefix": false\n    }\n  ]\n}\n')
    with zipfile.ZipFile(tmp_path / "h.kfpkg", "w") as zf:
        zf.writestr("flash-list.json", text)
        zf.writestr("font.bin", b"F" * 10)
    (entry,) = read_kfpkg(tmp_path / "h.kfpkg").entries
    assert (entry.address, entry.data) == (0xA00000, b"F" * 10)


@pytest.mark.parametrize(("members", "message"), [
    ({"x.bin": b"1"}, "no flash-list.json"),
    ({"flash-list.json": "{\"files\": [{\"address\": 0, \"bin\": \"x\"}]}"}, "sha256Prefix"),
    ({"flash-list.json": "{\"files\": 3}"}, '"files" list'),
    ({"flash-list.json": "{nope"}, "not valid JSON"),
])
def test_reader_errors(tmp_path: Path, members: dict[str, object], message: str) -> None:
    path = tmp_path / "bad.kfpkg"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)  # type: ignore[arg-type]
    with pytest.raises(KfpkgError, match=re.escape(message)):
        read_kfpkg(path)


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "x.kfpkg").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(KfpkgError, match="not a zip"):
        read_kfpkg(tmp_path / "x.kfpkg")


# -- verify: one test per problem -----------------------------------------------------------------
def test_verify_overlap_including_a_hidden_one() -> None:
    big = Entry(0x100000, "big.bin", bytes(0x40000), False)
    inner = Entry(0x110000, "inner.bin", bytes(0x1000), False)
    tail = Entry(0x130000, "tail.bin", bytes(0x1000), False)  # overlaps big, not inner
    msgs = messages(Kfpkg([big, inner, tail]))
    assert any("inner.bin" in m and "overlaps big.bin" in m for m in msgs)
    assert any("tail.bin" in m and "overlaps big.bin" in m for m in msgs)


def test_verify_firmware_overlap_counts_the_boot_header() -> None:
    fw = Entry(0, "fw.bin", bytes(0x10000 - 20), True)  # + 37 bytes crosses 0x10000
    data = Entry(0x10000, "d.bin", b"d", False)
    assert any("overlaps fw.bin" in m for m in messages(Kfpkg([fw, data])))
    fw_fits = Entry(0, "fw.bin", bytes(0x10000 - 37), True)
    assert messages(Kfpkg([fw_fits, data])) == []


def test_verify_alignment_and_shared_sector() -> None:
    a = Entry(0x300000, "a.bin", bytes(0x100), False)
    b = Entry(0x300800, "b.bin", bytes(0x100), False)
    msgs = messages(Kfpkg([a, b]))
    assert any("b.bin at 0x300800: address is not 4 KiB aligned" in m for m in msgs)
    assert any("shares a 4 KiB sector with the end of a.bin" in m for m in msgs)


def test_verify_beyond_16_mib() -> None:
    msgs = messages(Kfpkg([Entry(0xFF0000, "x.bin", bytes(0x20000), False)]))
    assert any("ends at 0x1010000, beyond the 16 MiB flash" in m for m in msgs)
    assert messages(Kfpkg([Entry(0xFF0000, "x.bin", bytes(0x10000), False)])) == []


def test_verify_missing_member(tmp_path: Path) -> None:
    pkg = Kfpkg([Entry(0x300000, "gone.kmodel", b"m", False)])
    path = tmp_path / "m.kfpkg"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("flash-list.json", pkg.flash_list_json())
    msgs = messages(read_kfpkg(path))
    assert msgs == ["gone.kmodel: named in flash-list.json but missing from the zip"]


def test_verify_invalid_model_headers() -> None:
    assert messages(Kfpkg([Entry(0x300000, "ok.kmodel", v3_model(), False)])) == []
    msgs = messages(Kfpkg([Entry(0x300000, "arch.kmodel", v3_model(arch=1), False)]))
    assert msgs == ["arch.kmodel at 0x300000: invalid kmodel: V3 header arch 1 (must be 0, K210)"]
    short = v3_model(layers=3, body=64)[:-150]
    msgs = messages(Kfpkg([Entry(0x300000, "short.kmodel", short, False)]))
    assert len(msgs) == 1 and "V3 layer bodies need" in msgs[0]


def test_verify_byte_order_against_name_and_layout() -> None:
    le = shared_model(FACE_MODEL).read_bytes()
    be = swap_words(le)
    wrong_name = Entry(0x600000, "face_be.kmodel", le, False)
    assert messages(Kfpkg([wrong_name])) == [
        "face_be.kmodel at 0x600000: little-endian kmodel where its _be name wants a "
        "big-endian (load_flash) one"]
    wrong_layout = Entry(0x300000, "face.kmodel", be, False, {"endian": "little"})
    assert messages(Kfpkg([wrong_layout])) == [
        "face.kmodel at 0x300000: big-endian (load_flash) kmodel where its endian \"little\" "
        "wants a little-endian one"]
    assert messages(Kfpkg([Entry(0x600000, "face_be.kmodel", be, False)])) == []
    unnamed = Entry(0x300000, "face.kmodel", be, False)  # nothing says it is meant to be swapped
    assert messages(Kfpkg([unnamed])) == []
    assert [p.message for p in verify(Kfpkg([unnamed]), core_check=False)] == [
        "face.kmodel at 0x300000: big-endian (word-swapped) kmodel: only KPU.load_flash can use "
        "it, KPU.load(0x300000) refuses it (name it *_be or set endian = \"big\" in the layout "
        "to say it is meant)"]


def test_verify_raw_data_at_zero_and_empty_package() -> None:
    msgs = messages(Kfpkg([Entry(0, "fw.bin", b"\x13" * 64, False)]))
    assert msgs == ["fw.bin at 0x000000: raw data at 0 without a boot header: the board will "
                    "not boot"]
    assert messages(Kfpkg([Entry(0, "img.bin", boot_image(b"\x13" * 64), False)])) == []
    assert messages(Kfpkg([])) == ["the package lists no files"]


# -- layouts and the CLI --
def _layout_files(tmp_path: Path) -> None:
    (tmp_path / "fw.bin").write_bytes(b"\x6f" * 5000)
    (tmp_path / "face.kmodel").write_bytes(shared_model(FACE_MODEL).read_bytes())


def test_json_layout(tmp_path: Path) -> None:
    _layout_files(tmp_path)
    (tmp_path / "layout.json").write_text(json.dumps({"files": [
        {"path": "fw.bin", "address": 0},
        {"path": "face.kmodel", "address": "0x300000", "endian": "little"}]}))
    pkg = pack(load_layout(tmp_path / "layout.json"))
    assert [(e.address, e.sha256_prefix) for e in pkg.entries] == [(0, True), (0x300000, False)]
    assert pkg.entries[1].meta == {"endian": "little"}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TOML layouts need tomllib (3.11+)")
def test_toml_layout_via_cli(tmp_path: Path) -> None:
    _layout_files(tmp_path)
    (tmp_path / "layout.toml").write_text(
        '[[files]]\npath = "fw.bin"\naddress = 0x000000\n\n'
        '[[files]]\npath = "face.kmodel"\naddress = 0x300000\nname = "facedetect.kmodel"\n')
    out = tmp_path / "o.kfpkg"
    from maixkpu.cli import main
    assert main(["kfpkg", "pack", "--layout", str(tmp_path / "layout.toml"), "-o", str(out),
                 "--compression", "lzma"]) == 0
    pkg = read_kfpkg(out)
    assert [(e.address, e.name) for e in pkg.entries] == [(0, "fw.bin"),
                                                          (0x300000, "facedetect.kmodel")]


def test_example_layout_in_repo_parses() -> None:
    example = Path(__file__).resolve().parents[2] / "firmware" / "layout.example.json"
    items = load_layout(example)
    assert [(i.address, i.is_bootable()) for i in items][:2] == [(0, True), (0x300000, False)]


def test_cli_verify_and_inspect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from maixkpu.cli import main
    assert main(["kfpkg", "verify", str(shared_model(FACE_PKG))]) == 0
    assert main(["kfpkg", "inspect", str(shared_model(FACE_BE_PKG))]) == 0
    out = capsys.readouterr().out
    assert "V3 big-endian, 24 layers" in out and "0x600000" in out
    bad = tmp_path / "bad.kfpkg"
    write_kfpkg(bad, Kfpkg([Entry(0x300800, "a.bin", b"a", False)]))
    assert main(["kfpkg", "verify", str(bad)]) == kfpkg_cmd.EXIT_PROBLEMS
    captured = capsys.readouterr()
    assert "address is not 4 KiB aligned" in captured.out
    assert "1 error(s)" in captured.err


def test_cli_pack_refuses_errors_unless_forced(tmp_path: Path) -> None:
    from maixkpu.cli import main
    model = shared_model(FACE_MODEL)
    copy = tmp_path / "copy.kmodel"
    copy.write_bytes(model.read_bytes())
    out = tmp_path / "o.kfpkg"
    args = ["kfpkg", "pack", f"{model}@0x300000", f"{copy}@0x310000:raw", "-o", str(out)]
    assert main(args) == kfpkg_cmd.EXIT_PROBLEMS and not out.exists()
    assert main(args + ["--force"]) == 0 and out.exists()


def test_item_spec_parsing() -> None:
    assert parse_item_spec("fw.bin") == PackItem(Path("fw.bin"), 0, None)
    assert parse_item_spec("fw.bin").is_bootable()
    assert not parse_item_spec("data.bin@0x10000").is_bootable()
    assert parse_item_spec("img.bin@0:raw") == PackItem(Path("img.bin"), 0, False)
    assert parse_item_spec("x@y.bin@4096:boot") == PackItem(Path("x@y.bin"), 4096, True)


def test_verify_negative_address_and_big_endian_kmdl() -> None:
    assert any("negative address" in m
               for m in messages(Kfpkg([Entry(-4096, "n.bin", b"n", False)])))
    v4_be = b"KMDL" + (4).to_bytes(4, "big") + bytes(40)
    msgs = messages(Kfpkg([Entry(0x300000, "m_be.kmodel", v4_be, False)]))
    assert msgs == ["m_be.kmodel at 0x300000: big-endian V4 kmodel (only V3 is word-swapped)"]


def test_verify_warnings() -> None:
    model = v3_model()
    pkg = Kfpkg([
        Entry(0x100000, "fw2.bin", b"\x13" * 100, True),  # bootable, not at 0
        Entry(0x200000, "wrapped.kmodel", model, True),  # a model as a boot image
        Entry(0x300000, "empty.bin", b"", False),
        Entry(0x400000, "huge.kmodel", model + bytes(0x600000), False),
        Entry(0xD10000, "fs.kmodel", model, False),
    ])
    problems = verify(pkg, core_check=False)
    assert [p.severity for p in problems] == ["warning"] * 6  # wrapped.kmodel: 2 warnings
    text = "\n".join(p.message for p in problems)
    for expected in ("fw2.bin at 0x100000: bootable image not at 0",
                     "wrapped.kmodel at 0x200000: a kmodel wrapped as a bootable image",
                     "empty.bin at 0x300000: empty file",
                     f"huge.kmodel at 0x400000: {len(model) + 0x600000} bytes, over MaixPy's "
                     "6 MiB model limit",
                     "fs.kmodel at 0xd10000: inside MaixPy's file system region"):
        assert expected in text


def test_v4_and_v5_models_are_valid_package_content() -> None:
    pkg = Kfpkg([
        Entry(0x300000, "iris4.kmodel", shared_model("nncase020b4_iris_float.kmodel").read_bytes(),
              False),
        Entry(0x310000, "mnist5.kmodel",
              shared_model("nncase_master_benchmark_cpu_mnist.kmodel").read_bytes(), False)])
    assert verify(pkg) == []  # with the C runtime's check when it is importable
    infos = inspect_entries(pkg)
    assert [(i.model.version, i.model.big_endian) for i in infos if i.model] == \
        [(4, False), (5, False)]


def test_runtime_validator_catches_what_headers_do_not() -> None:
    pytest.importorskip("maixkpu.core", reason="the C runtime extension is not built")
    model = bytearray(shared_model(FACE_MODEL).read_bytes())
    struct.pack_into("<I", model, 28 + 8, 3)  # layer 0 type: GLOBAL_MAX_POOL2D (no body layout)
    pkg = Kfpkg([Entry(0x300000, "x.kmodel", bytes(model), False)])
    assert verify(pkg, core_check=False) == []
    (problem,) = verify(pkg)
    assert problem.severity == ERROR and "invalid kmodel" in problem.message
    assert "layer 0" in problem.message


def test_unpack_keeps_safe_subfolders_and_refuses_escapes(tmp_path: Path) -> None:
    def package(name: str) -> Path:
        path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.kfpkg"
        text = Kfpkg([Entry(0x300000, name, b"m", False)]).flash_list_json()
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("flash-list.json", text)
            zf.writestr(name, b"model")
        return path

    unpack(package("models/face.kmodel"), tmp_path / "ok")
    assert (tmp_path / "ok" / "models" / "face.kmodel").read_bytes() == b"model"
    for bad in ("../escape.bin", "/abs.bin"):
        with pytest.raises(KfpkgError, match="outside the folder"):
            unpack(package(bad), tmp_path / "bad")
    assert not (tmp_path / "escape.bin").exists()
