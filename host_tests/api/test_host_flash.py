"""``HostFlash``: the 16 MiB flash image that ``KPU.load(offset)`` reads on the host."""
from __future__ import annotations

import json
import zipfile

import pytest

from host_tests.conftest import shared_model
from maixkpu.maixpy.flash import FLASH_SIZE, HostFlash


def test_erased_flash_is_ff():
    flash = HostFlash()
    assert flash.size == FLASH_SIZE == 16 * 1024 * 1024
    assert flash.read(0, 16) == b"\xff" * 16
    assert flash.read(FLASH_SIZE - 4, 4) == b"\xff" * 4
    with pytest.raises(ValueError):
        flash.read(FLASH_SIZE - 4, 5)
    with pytest.raises(ValueError):
        flash.write(-1, b"x")


def test_write_and_read_back():
    flash = HostFlash(1 << 20)
    flash.write(0x1000, b"\x01\x02\x03")
    assert flash.read(0x0FFF, 5) == b"\xff\x01\x02\x03\xff"
    flash.erase()
    assert flash.read(0x1000, 3) == b"\xff\xff\xff"


def test_hand_made_kfpkg(tmp_path):
    path = tmp_path / "two.kfpkg"
    flash_list = {"version": "0.1.0", "files": [
        {"address": 0x300000, "bin": "m.kmodel", "sha256Prefix": False},
        {"address": 0x500000, "bin": "n.bin", "sha256Prefix": False},
    ]}  # fmt: skip
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("flash-list.json", json.dumps(flash_list))
        zf.writestr("m.kmodel", b"\x03\x00\x00\x00model")
        zf.writestr("n.bin", b"abc")
    flash = HostFlash()
    assert flash.load_kfpkg(path) == [(0x300000, 9), (0x500000, 3)]
    assert flash.read(0x300000, 10) == b"\x03\x00\x00\x00model\xff"
    assert flash.read(0x2FFFFF, 1) == b"\xff"
    assert flash.read(0x500000, 4) == b"abc\xff"


def test_face_model_kfpkg_lands_at_0x300000():
    pkg = shared_model("sipeed_face_model_at_0x300000.kfpkg")
    bare = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    with zipfile.ZipFile(pkg) as zf:
        entries = json.loads(zf.read("flash-list.json"))["files"]
        assert [(e["address"], e["sha256Prefix"]) for e in entries] == [(0x300000, False)]
        member = zf.read(entries[0]["bin"])
    flash = HostFlash()
    flash.load_kfpkg(pkg)
    assert flash.read(0x300000, len(member)) == member
    assert flash.read(0x300000, len(bare)) == bare
    assert flash.read(0x300000 + len(member), 64) == b"\xff" * 64
    assert flash.read(0, 0x300000).count(0xFF) == 0x300000
    assert flash.read(0x300000, 4) == b"\x03\x00\x00\x00"  # a kmodel V3 header
