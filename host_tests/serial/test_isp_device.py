"""The board-side ISP (IspDevice) against our flasher and against unmodified kflash 1.1.6."""
from __future__ import annotations

import hashlib
import random
import struct
import time
import zlib
from pathlib import Path
from typing import Callable

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from host_tests.conftest import shared_model
from host_tests.serial.loopback import LoopbackBoard
from maixkpu.isp.flasher import Flasher, FlashError, FlashOptions
from maixkpu.isp.journal import ResumeJournal, plan_key
from maixkpu.kfpkg import Entry, Kfpkg, read_kfpkg, write_kfpkg
from maixkpu.vboard.flash import FlashImage
from maixkpu.vboard.isp_device import IspDevice, IspFaults

MIB = 1024 * 1024


# -- helpers written from the spec, independent of the code under test ---------------------------
def boot_image(firmware: bytes) -> bytes:
    head = bytes([0x02]) + len(firmware).to_bytes(4, "little") + firmware
    return head + hashlib.sha256(head).digest()


def slip(payload: bytes) -> bytes:
    return b"\xc0" + payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def request(op: int, address: int = 0, data: bytes = b"") -> bytes:
    body = struct.pack("<II", address, len(data)) + data
    return slip(struct.pack("<HHI", op, 0, zlib.crc32(body)) + body)


def short(op: int) -> bytes:
    return b"\xc0" + bytes([op]) + bytes(12) + b"\xc0"


def expected_flash(regions: list[tuple[int, bytes]], size: int) -> bytes:
    image = bytearray(b"\xff" * size)
    for address, data in regions:
        image[address:address + len(data)] = data
    return bytes(image)


def make_board(wiring: str | None = "kd233", size: int = 16 * MIB, extensions: bool = True,
               seed: int = 1) -> LoopbackBoard:
    return LoopbackBoard(IspDevice(FlashImage(size=size), extensions=extensions), wiring, seed)


def fast_options(**kw: object) -> FlashOptions:
    base: dict[str, object] = {"timeout": 0.3, "greeting_timeout": 0.3, "retries": 8}
    base.update(kw)
    return FlashOptions(**base)  # type: ignore[arg-type]


def sample_regions() -> list[tuple[int, bytes]]:
    rng = random.Random(7)
    firmware = rng.randbytes(150_000)
    return [(0, boot_image(firmware)), (0x300000, shared_model("sipeed_facedetect_320x240.kmodel")
                                        .read_bytes())]


def booted_device(extensions: bool = True) -> IspDevice:
    """A device already running the stage-2 with flash initialised."""
    dev = IspDevice(FlashImage(size=MIB), extensions=extensions)
    dev.feed(request(0xC3, 0x80000000, b"\x13" * 64))
    dev.feed(request(0xC5, 0x80000000))
    assert dev.feed(short(0xD2)) == b"\xc0\xd2\xe0\xc0"
    assert dev.feed(request(0xD7, 1)) == b"\xc0\xd7\xe0\xc0"
    return dev


# -- the state machine on its own ----------------------------------------------------------------
def test_rom_greeting_accepts_the_13_byte_frame_byte_by_byte() -> None:
    dev = IspDevice(FlashImage(size=MIB))
    frame = short(0xC2)
    out = b"".join(dev.feed(frame[i:i + 1]) for i in range(len(frame)))
    assert out == b"\xc0\xc2\xe0\xc0"


def test_checksum_error_reply_and_nothing_written() -> None:
    dev = booted_device()
    frame = bytearray(request(0xD4, 0x1000, b"hello world"))
    frame[-3] ^= 0x01
    assert dev.feed(bytes(frame)) == b"\xc0\xd4\xe2\xc0"
    assert dev.flash.read(0x1000, 11) == b"\xff" * 11
    assert dev.feed(request(0xD4, 0x1000, b"hello world")) == b"\xc0\xd4\xe0\xc0"
    assert dev.flash.read(0x1000, 11) == b"hello world"


def test_write_keeps_the_rest_of_the_sector_and_escapes_are_decoded() -> None:
    dev = booted_device()
    dev.feed(request(0xD4, 0x2000, b"A" * 4096))
    payload = b"\xc0\xdb\xc0" * 5
    assert dev.feed(request(0xD4, 0x2100, payload)) == b"\xc0\xd4\xe0\xc0"
    assert dev.flash.read(0x2000, 4096) == b"A" * 0x100 + payload + b"A" * (4096 - 0x100 - 15)


def test_flash_ops_need_init_and_unknown_ops_are_invalid() -> None:
    dev = IspDevice(FlashImage(size=MIB))
    dev.feed(request(0xC3, 0x80000000, b"\x00" * 16))
    dev.feed(request(0xC5, 0x80000000))
    assert dev.feed(request(0xD4, 0, b"x")) == b"\xc0\xd4\xe4\xc0"
    assert dev.feed(request(0xD7, 7)) == b"\xc0\xd7\xe4\xc0"
    assert dev.feed(request(0xD3)) == b"\xc0\xd3\xe3\xc0"


def test_baud_changes_are_silent_and_pending_until_taken() -> None:
    dev = IspDevice(FlashImage(size=MIB))
    assert dev.feed(request(0xC6, 0, struct.pack("<I", 1523684))) == b""
    assert dev.take_pending_baudrate() == 1500000 and dev.baudrate == 1500000
    dev.feed(request(0xC3, 0x80000000, b"\x00" * 16))
    dev.feed(request(0xC5, 0x80000000))
    assert dev.take_pending_baudrate() == 115200  # the stage-2 starts at the default rate
    assert dev.feed(request(0xD6, 0, struct.pack("<I", 2000000))) == b""
    assert dev.pending_baudrate == 2000000
    assert dev.take_pending_baudrate() == 2000000 and dev.take_pending_baudrate() is None


def test_erase_with_busy_polls_then_reboot() -> None:
    dev2 = booted_device()
    dev2.faults.erase_busy_polls = 2
    dev2.feed(request(0xD4, 0x3000, b"\x00" * 100))
    body = struct.pack("<II", 0x3000, 0x1000)
    erase = slip(struct.pack("<HHI", 0xD8, 0, zlib.crc32(body)) + body)
    assert dev2.feed(erase) == b"\xc0\xd8\xe0\xc0"
    assert [dev2.feed(short(0xD9)) for _ in range(3)] == [b"\xc0\xd9\xe7\xc0"] * 2 + \
        [b"\xc0\xd9\xe0\xc0"]
    assert dev2.flash.read(0x3000, 100) == b"\xff" * 100
    assert dev2.feed(short(0xD5)) == b"\xc0\xd5\xe0\xc0" and dev2.reboot_requested
    assert dev2.feed(short(0xD2)) == b""  # gone to the application


def test_extension_hash_and_read_only_when_offered() -> None:
    dev = booted_device()
    dev.feed(request(0xD4, 0x4000, b"\xc0" * 300))
    reply = dev.feed(request(0xDC, 0x4000, struct.pack("<I", 300)))
    unescaped = reply[1:-1].replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")
    assert unescaped == b"\xdc\xe0" + hashlib.sha256(b"\xc0" * 300).digest()
    plain = booted_device(extensions=False)
    assert plain.feed(request(0xDD)) == b"\xc0\xdd\xe3\xc0"


# -- our flasher -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("wiring", "board", "baud"), [
    ("kd233", "auto", 115200), ("dan", "auto", 2000000), ("kd233", "goE", 1500000),
    (None, "none", 115200)])
def test_flasher_writes_exact_bytes(wiring: str | None, board: str, baud: int) -> None:
    lb = make_board(wiring)
    regions = sample_regions()
    report = Flasher(lb.port(timeout=0.05), fast_options(board=board, baudrate=baud)).run(regions)
    assert lb.device.flash.sha256() == hashlib.sha256(expected_flash(regions, 16 * MIB)).digest()
    assert report.verified is True and report.resends == 0
    assert lb.device.stage2_is_kflash and lb.device.reboot_requested
    assert lb.device.flash.boot_image() == regions[0][1][5:-32]


def test_flasher_kfpkg_file_regions(tmp_path: Path) -> None:
    pkg = read_kfpkg(shared_model("sipeed_face_model_at_0x300000.kfpkg"))
    lb = make_board("dan", size=4 * MIB)
    Flasher(lb.port(timeout=0.05), fast_options(board="dan")).run(pkg.regions())
    model = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    assert lb.device.flash.read(0x300000, len(model)) == model
    assert lb.device.flash.is_erased(0, 0x300000)


@pytest.mark.parametrize("seed", [9, 15, 29])  # seeds whose runs meet damage both ways
def test_one_percent_corruption_still_ends_verified_and_correct(seed: int) -> None:
    lb = make_board("kd233", size=4 * MIB, seed=seed)
    lb.corrupt_rate = lb.reply_corrupt_rate = 0.01
    rng = random.Random(seed)
    regions = [(0, boot_image(rng.randbytes(1_000_000))), (0x200000, rng.randbytes(900_000))]
    report = Flasher(lb.port(timeout=0.05), fast_options()).run(regions)
    assert lb.corrupted_writes >= 1 and lb.corrupted_replies >= 1  # damage really happened
    assert report.verified is True
    assert lb.device.flash.sha256() == hashlib.sha256(expected_flash(regions, 4 * MIB)).digest()


def test_heavy_corruption_with_kflash_stage2_semantics_still_correct() -> None:
    lb = make_board("dan", size=2 * MIB, extensions=False, seed=5)
    lb.corrupt_rate = 0.15  # host -> board only: every damaged write gets an error reply
    regions = [(0x10000, random.Random(1).randbytes(600_000))]
    report = Flasher(lb.port(timeout=0.05), fast_options()).run(regions)
    assert lb.corrupted_writes >= 5 and report.resends >= 5
    assert report.verified is None and "no read-back" in report.verify_note
    assert lb.device.flash.read(0x10000, 600_000) == regions[0][1]


def test_injected_error_replies_are_retried_at_the_same_address() -> None:
    lb = make_board("kd233", size=2 * MIB)
    lb.device.faults = IspFaults(busy_writes=2, bad_checksum_writes=2)
    regions = [(0, boot_image(b"\x6f" * 200_000))]
    report = Flasher(lb.port(timeout=0.05), fast_options()).run(regions)
    assert report.resends == 4 and report.verified is True
    assert lb.device.write_log[0] == (0, 65536)  # first accepted write: same chunk, same place
    assert lb.device.flash.read(0, 200_037) == regions[0][1]


def test_silent_board_gives_flash_error_within_the_timeout() -> None:
    lb = make_board("kd233", size=4 * MIB)
    lb.silent_after_writes = 40  # after the stage-2 upload, in the middle of the writes
    regions = [(0, boot_image(random.Random(2).randbytes(2_000_000)))]
    opts = fast_options(timeout=0.2, retries=3)
    port = lb.port(timeout=0.05)
    with pytest.raises(FlashError, match=r"write of .* at 0x[0-9a-f]+: failed after 4 attempts "
                                         r"\(no reply\)"):
        Flasher(port, opts).run(regions)
    assert lb.silenced_at is not None
    # 4 reply deadlines, each counted from when the 64 KiB chunk (SLIP-escaped: at most 2x)
    # is through the line at the port's baud rate, then out
    on_line = 2 * (64 * 1024 + 64) * 10 / port.baudrate
    assert time.monotonic() - lb.silenced_at < 4 * (0.2 + on_line) + 1.0
    assert lb.device.flash.read(0, 2_000_037) != regions[0][1]
    assert not lb.device.reboot_requested


def test_no_board_gives_flash_error() -> None:
    lb = make_board("kd233")
    lb.device.faults.silent = True
    with pytest.raises(FlashError, match="no K210 boot ROM answered after 2 rounds"):
        Flasher(lb.port(timeout=0.05), fast_options(board="kd233", reset_rounds=2)) \
            .run([(0, b"x")])


def test_require_verify_fails_on_a_board_without_read_back() -> None:
    lb = make_board("kd233", extensions=False)
    with pytest.raises(FlashError, match="cannot verify"):
        Flasher(lb.port(timeout=0.05), fast_options(require_verify=True)).run([(0, b"x")])
    assert lb.device.write_log == []  # refused before writing anything


def test_interrupted_flash_resumes_and_skips_what_is_there() -> None:
    lb = make_board("kd233", size=4 * MIB)
    rng = random.Random(9)
    regions = [(0, boot_image(rng.randbytes(1_500_000)))]
    lb.silent_after_writes = 35
    with pytest.raises(FlashError):
        Flasher(lb.port(timeout=0.05), fast_options(timeout=0.2, retries=1)).run(regions)
    written_before = len(lb.device.write_log)
    assert 0 < written_before < 23
    lb.silent_after_writes = None
    lb.device.faults.silent = False
    report = Flasher(lb.port(timeout=0.05), fast_options()).run(regions)
    assert report.bytes_skipped >= written_before * 65536 - 65536
    assert report.bytes_written + report.bytes_skipped == len(regions[0][1])
    assert report.verified is True
    assert lb.device.flash.read(0, len(regions[0][1])) == regions[0][1]


# -- unmodified kflash 1.1.6 against the virtual board -------------------------------------------
def run_kflash(monkeypatch: pytest.MonkeyPatch, lb: LoopbackBoard, path: Path,
               **kw: object) -> None:
    kflash = pytest.importorskip("kflash")
    # the launcher only replaces how kflash opens its port
    monkeypatch.setattr(serial, "Serial", lambda *a, **k: lb.port(**k))
    args: dict[str, object] = {"terminal": False, "dev": "loopback", "baudrate": 115200,
                               "board": None, "file": str(path)}
    args.update(kw)
    kflash.KFlash().process(**args)


def _kfpkg_with_firmware(tmp_path: Path) -> tuple[Path, list[tuple[int, bytes]]]:
    firmware = random.Random(4).randbytes(100_000)
    model = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    path = tmp_path / "app.kfpkg"
    write_kfpkg(path, Kfpkg([Entry(0, "maixpy.bin", firmware, True),
                             Entry(0x300000, "facedetect.kmodel", model, False)]), "lzma")
    return path, [(0, boot_image(firmware)), (0x300000, model)]


@pytest.mark.parametrize(("wiring", "board", "baud"), [
    ("kd233", None, 115200), ("dan", None, 115200), ("kd233", "goE", 1500000)])
def test_kflash_flashes_our_kfpkg_exactly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          wiring: str, board: str | None, baud: int) -> None:
    path, regions = _kfpkg_with_firmware(tmp_path)
    lb = make_board(wiring)
    run_kflash(monkeypatch, lb, path, board=board, baudrate=baud)
    assert lb.device.flash.sha256() == hashlib.sha256(expected_flash(regions, 16 * MIB)).digest()
    assert lb.device.stage2_is_kflash and lb.device.reboot_requested
    model_size = len(regions[1][1])
    model_chunks = [(0x300000 + off, min(65536, model_size - off))
                    for off in range(0, model_size, 65536)]
    # kflash's chunking (spec 4.9): 100,037-byte image as 65,536 + 34,501, then the model
    assert lb.device.write_log == [(0, 65536), (0x10000, 34501)] + model_chunks


def test_kflash_plain_bin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    firmware = random.Random(8).randbytes(70_000)
    (tmp_path / "fw.bin").write_bytes(firmware)
    lb = make_board("dan", size=2 * MIB)
    run_kflash(monkeypatch, lb, tmp_path / "fw.bin")
    assert lb.device.flash.boot_image() == firmware


def first_flash_write() -> Callable[[int, bytes], bool]:
    """A filter that picks only the first D4 frame (the write at address 0)."""
    seen: list[int] = []

    def pick(index: int, data: bytes) -> bool:
        if data[1:2] == b"\xd4" and not seen:
            seen.append(index)
            return True
        return False

    return pick


def test_kflash_defect_checksum_error_ends_wrong_but_ours_ends_right(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, regions = _kfpkg_with_firmware(tmp_path)
    want = hashlib.sha256(expected_flash(regions, 16 * MIB)).digest()

    lb = make_board("kd233")
    lb.corrupt_write_filter = first_flash_write()
    run_kflash(monkeypatch, lb, path)  # kflash reports success (no exception) ...
    assert lb.corrupted_writes == 1
    assert lb.device.flash.sha256() != want  # ... but skipped the chunk
    assert lb.device.flash.is_erased(0, 65536)

    ours = make_board("kd233")
    ours.corrupt_write_filter = first_flash_write()
    report = Flasher(ours.port(timeout=0.05), fast_options()).run(read_kfpkg(path).regions())
    assert ours.corrupted_writes == 1 and report.resends == 1
    assert ours.device.flash.sha256() == want


def test_kflash_erase_range(monkeypatch: pytest.MonkeyPatch) -> None:
    lb = make_board("dan", size=MIB)
    lb.device.flash.write(0, bytes(0x4000))
    run_kflash(monkeypatch, lb, Path("erase"), addr="0x1000", length="0x2000")
    assert lb.device.flash.read(0, 0x4000) == bytes(0x1000) + b"\xff" * 0x2000 + bytes(0x1000)
    assert lb.device.op_counts[0xD8] == 1 and lb.device.op_counts[0xD9] >= 1


def test_lost_rom_baud_request_falls_back_to_115200() -> None:
    lb = make_board("kd233", size=2 * MIB)
    lb.drop_write_filter = lambda index, data: data[1:2] == b"\xc6"  # the C6 is lost
    regions = [(0, boot_image(b"\x6f" * 70_000))]
    report = Flasher(lb.port(timeout=0.05), fast_options(board="goE", baudrate=1500000)) \
        .run(regions)
    assert lb.dropped_writes == 1
    assert any("stayed at 115200" in line for line in report.log)
    assert report.verified is True and lb.device.flash.read(0, 70_037) == regions[0][1]


@pytest.mark.parametrize("op", [0xC2, 0xC3, 0xC5, 0xD2, 0xD6, 0xD7, 0xDD, 0xDC, 0xD4, 0xD5])
def test_each_request_lost_once_is_recovered(op: int) -> None:
    lb = make_board("kd233", size=2 * MIB)
    lost: list[int] = []

    def drop_first(index: int, data: bytes) -> bool:
        if data[1] == op and not lost:
            lost.append(index)
            return True
        return False

    lb.drop_write_filter = drop_first
    regions = [(0, boot_image(random.Random(op).randbytes(140_000)))]
    report = Flasher(lb.port(timeout=0.05), fast_options(board="kd233", baudrate=2000000)) \
        .run(regions)
    assert lb.dropped_writes == 1
    assert report.verified is True and lb.device.reboot_requested
    assert lb.device.flash.read(0, len(regions[0][1])) == regions[0][1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=60),
       st.binary(min_size=1, max_size=3000))
def test_any_chunking_gives_the_same_replies_and_flash(cuts: list[int], data: bytes) -> None:
    session = (short(0xC2) + request(0xC3, 0x80000000, b"\x13" * 1024) + request(0xC5, 0x80000000)
               + short(0xD2) + request(0xD7, 1) + request(0xD4, 0x1000, data)
               + request(0xD4, 0x8000, data[::-1]) + short(0xD9) + short(0xD5))
    whole = IspDevice(FlashImage(size=64 * 1024))
    expected = whole.feed(session)
    chunked = IspDevice(FlashImage(size=64 * 1024))
    out, pos, i = b"", 0, 0
    while pos < len(session):
        n = cuts[i % len(cuts)]
        out += chunked.feed(session[pos:pos + n])
        pos, i = pos + n, i + 1
    assert out == expected == (b"\xc0\xc2\xe0\xc0\xc0\xc3\xe0\xc0\xc0\xd2\xe0\xc0\xc0\xd7\xe0\xc0"
                               b"\xc0\xd4\xe0\xc0\xc0\xd4\xe0\xc0\xc0\xd9\xe0\xc0\xc0\xd5\xe0\xc0")
    assert chunked.flash.read(0x1000, len(data)) == data
    assert chunked.flash.read(0x8000, len(data)) == data[::-1]
    assert chunked.reboot_requested


def test_noisy_line_splits_big_writes_and_still_ends_correct() -> None:
    # 4e-5 errors per byte: a 64 KiB frame arrives intact 7% of the time, a 4 KiB one 85%
    lb = make_board("dan", size=2 * MIB, seed=21)
    lb.byte_error_rate = 4e-5
    regions = [(0, random.Random(6).randbytes(1_000_000))]
    report = Flasher(lb.port(timeout=0.05), fast_options(board="dan")).run(regions)
    assert report.split_chunks >= 5 and lb.corrupted_writes >= 20
    assert report.verified is True
    assert lb.device.flash.read(0, 1_000_000) == regions[0][1]


def test_resume_journal_on_a_board_that_cannot_hash(tmp_path: Path) -> None:
    lb = make_board("kd233", size=4 * MIB, extensions=False)
    regions = [(0, boot_image(random.Random(10).randbytes(1_400_000)))]
    journal_path = tmp_path / "journal.json"

    def options(**kw: object) -> FlashOptions:
        journal = ResumeJournal(journal_path, plan_key(regions))
        return fast_options(journal=journal, timeout=0.2, retries=1, **kw)

    lb.silent_after_writes = 30
    with pytest.raises(FlashError):
        Flasher(lb.port(timeout=0.05), options()).run(regions)
    acknowledged = len(lb.device.write_log)
    assert 0 < acknowledged < 22
    lb.silent_after_writes = None
    lb.device.faults.silent = False
    lb.device.write_log.clear()
    report = Flasher(lb.port(timeout=0.05), options(resume=True)).run(regions)
    total_chunks = -(-len(regions[0][1]) // 65536)
    assert len(lb.device.write_log) == total_chunks - acknowledged
    assert report.bytes_skipped == acknowledged * 65536
    assert lb.device.flash.read(0, len(regions[0][1])) == regions[0][1]
    # the finished run cleared the journal: a new run writes everything again
    lb.device.write_log.clear()
    Flasher(lb.port(timeout=0.05), options(resume=True)).run(regions)
    assert len(lb.device.write_log) == total_chunks


def test_stage2_program_comes_from_the_installed_kflash() -> None:
    pytest.importorskip("kflash")
    import ast
    import importlib.util

    from maixkpu.isp.stage2 import _find_literal, kflash_isp_prog

    prog = kflash_isp_prog()
    assert len(prog) == 16512  # spec 4.3
    assert hashlib.sha256(prog).hexdigest() == \
        "757776d0055048262ef92bd04a9f8cbad13647ec4f5c1f59494489a88d571129"
    tools = Path(__file__).resolve().parents[2] / "tools"
    origin = importlib.util.find_spec("kflash").origin  # type: ignore[union-attr]
    literal = _find_literal(ast.parse(Path(str(origin)).read_text(encoding="utf-8")))
    assert literal is not None
    head = literal[:24]  # kflash's hex text: never stored in this repository
    for source in tools.rglob("*.py"):
        text = source.read_text(encoding="utf-8", errors="replace")
        assert head not in text and prog[:64].hex() not in text, source
