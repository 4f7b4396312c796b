"""`maixkpu flash` end to end: the CLI over RFC 2217 to the virtual board."""
from __future__ import annotations

import hashlib
import random
import socket
import struct
import threading
from pathlib import Path

import pytest

from host_tests.conftest import shared_model
from maixkpu.cli import main
from maixkpu.kfpkg import Entry, Kfpkg, write_kfpkg

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resume journal goes to $XDG_CACHE_HOME; keep it out of the real home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def boot_image(firmware: bytes) -> bytes:
    head = bytes([0x02]) + len(firmware).to_bytes(4, "little") + firmware
    return head + hashlib.sha256(head).digest()


def test_flash_kfpkg_over_rfc2217_then_skip_when_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from maixkpu.vboard.board import VirtualBoard
    from maixkpu.vboard.flash import FlashImage

    firmware = random.Random(3).randbytes(120_000)
    model = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    pkg = tmp_path / "app.kfpkg"
    write_kfpkg(pkg, Kfpkg([Entry(0, "fw.bin", firmware, True),
                            Entry(0x300000, "face.kmodel", model, False)]))
    expected = bytearray(b"\xff" * (16 << 20))
    expected[:len(firmware) + 37] = boot_image(firmware)
    expected[0x300000:0x300000 + len(model)] = model

    flash = FlashImage(size=16 << 20)
    with VirtualBoard(flash, profile="goE") as board:
        url = board.rfc2217_url
        assert url is not None
        args = ["flash", str(pkg), "--port", url, "--board", "goE", "--baud", "1500000"]
        assert main(args + ["--quiet"]) == 0
        assert flash.sha256() == hashlib.sha256(bytes(expected)).digest()
        assert board.wait_for(lambda: board.state == "app", 5.0)
        first = capsys.readouterr().err
        assert "verified" in first and "NOT verified" not in first
        assert main(args + ["--quiet"]) == 0
        again = capsys.readouterr().err
    assert f"0 written, {len(firmware) + 37 + len(model)} already there" in again


def test_flash_reports_failure_when_nothing_answers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fw.bin").write_bytes(b"\x13" * 100)
    with socket.socket() as server:  # a TCP port that accepts and never answers
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"socket://127.0.0.1:{server.getsockname()[1]}"
        rc = main(["flash", str(tmp_path / "fw.bin"), "--port", url, "--board", "none",
                   "--timeout", "0.3", "--quiet"])
    assert rc == 1
    assert "FAILED: no K210 boot ROM answered" in capsys.readouterr().err


def test_flash_reports_a_connection_lost_mid_run_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fw.bin").write_bytes(b"\x13" * 100)
    with socket.socket() as server:  # accepts, reads the first bytes, then drops the link
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        url = f"socket://127.0.0.1:{server.getsockname()[1]}"

        def drop() -> None:
            conn, _ = server.accept()
            conn.recv(16)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # linger 0: a reset, so the flasher's next read fails

        dropper = threading.Thread(target=drop, daemon=True)
        dropper.start()
        rc = main(["flash", str(tmp_path / "fw.bin"), "--port", url, "--board", "none",
                   "--timeout", "0.3", "--quiet"])
        dropper.join(5)
    assert rc == 1
    err = capsys.readouterr().err
    assert "FAILED: serial connection lost" in err
    assert "Traceback" not in err


def test_board_types_name_their_wiring() -> None:
    from maixkpu.commands.flash import isp_wiring

    assert [isp_wiring(b) for b in ("maix_bit", "maix_dock", "maix_go", "generic")] == \
        ["bit", "dan", "goE", "auto"]
    assert [isp_wiring(b) for b in ("goD", "kd233", "maixduino", "none")] == \
        ["goD", "kd233", "maixduino", "none"]  # kflash's wiring names stay as they are


def test_flash_with_a_board_type_as_the_other_board_commands_take_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from maixkpu.vboard.board import VirtualBoard
    from maixkpu.vboard.flash import FlashImage

    firmware = random.Random(5).randbytes(30_000)
    pkg = tmp_path / "fw.kfpkg"
    write_kfpkg(pkg, Kfpkg([Entry(0, "fw.bin", firmware, True)]))
    flash = FlashImage(size=16 << 20)
    with VirtualBoard(flash, profile="bit") as board:
        assert main(["flash", str(pkg), "--port", board.rfc2217_url or "", "--board",
                     "maix_bit", "--quiet"]) == 0
        assert board.wait_for(lambda: board.state == "app", 5.0)
    assert flash.read(0, len(firmware) + 37) == boot_image(firmware)
    assert "verified" in capsys.readouterr().err
