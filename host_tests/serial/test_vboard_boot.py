"""The virtual board's boot pins, boot ROM, fault injection, and flashing it with kflash 1.1.6
and `maixkpu flash` over RFC 2217 (spec isp-kfpkg-repl §1, §5, §8)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_tests.serial.vboard_util import Client, bootable_flash, mpremote
from maixkpu.isp import bootimage
from maixkpu.vboard import FaultPlan, VirtualBoard
from maixkpu.vboard.board import ROM_BOOT_FAILED
from maixkpu.vboard.flash import FlashImage
from maixkpu.vboard.isp_device import IspFaults
from maixkpu.vboard.profiles import PROFILES

# pyserial 3.5's RFC 2217 client uses Thread.setDaemon/setName
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:serial.rfc2217")
T, F = True, False
ROM_NOP = b"\xc0\xc2" + bytes(12) + b"\xc0"  # kflash's 13-byte greeting frame
ROM_NOP_OK = b"\xc0\xc2\xe0\xc0"

# kflash 1.1.6 MAIXLoader.reset_to_* (spec §1.3): steps of (line, asserted) calls in order.
SEQUENCES = {
    "isp_kd233": [[("dtr", F), ("rts", F)], [("dtr", T), ("rts", F)], [("rts", T), ("dtr", F)]],
    "boot_kd233": [[("dtr", F), ("rts", F)], [("dtr", T), ("rts", F)], [("rts", F), ("dtr", F)]],
    "isp_dan": [[("dtr", F), ("rts", F)], [("dtr", F), ("rts", T)], [("rts", F), ("dtr", T)]],
    "boot_dan": [[("dtr", F), ("rts", F)], [("dtr", F), ("rts", T)], [("rts", F), ("dtr", F)]],
    "isp_goD": [[("dtr", T), ("rts", T)], [("rts", F), ("dtr", T)], [("rts", F), ("dtr", T)]],
    "boot_maixgo": [[("dtr", F), ("rts", F)], [("rts", F), ("dtr", T)], [("rts", F), ("dtr", F)]],
}
# board type -> (ISP entry, fallback boot) as kflash uses them
BOARD_SEQUENCES = {
    "goE": ("isp_kd233", "boot_maixgo"), "kd233": ("isp_kd233", "boot_kd233"),
    "bit_mic": ("isp_kd233", "boot_kd233"), "dan": ("isp_dan", "boot_dan"),
    "bit": ("isp_dan", "boot_dan"), "trainer": ("isp_dan", "boot_dan"),
    "goD": ("isp_goD", None),
}


def apply_sequence(client: Client, name: str) -> None:
    """Drive the lines as kflash does, one pyserial call at a time (RFC 2217 shows each)."""
    for step in SEQUENCES[name]:
        for line, value in step:
            setattr(client.port, line, value)


def boots(board: VirtualBoard, state: str) -> int:
    return sum(1 for event in board.events if event[:2] == ("boot", state))


@pytest.fixture
def flash() -> Iterator[FlashImage]:
    image = bootable_flash()
    yield image
    image.close()


# -- pins -----------------------------------------------------------------------------------------

def test_cross_coupled_pins() -> None:
    go_e, dan, go_d = PROFILES["goE"], PROFILES["dan"], PROFILES["goD"]
    for profile in (go_e, dan):
        assert profile.pins(F, F) == (F, F)
        assert profile.pins(T, T) == (F, F)  # a terminal asserting both leaves the board alone
    assert go_e.pins(T, F) == (T, F) and go_e.pins(F, T) == (F, T)
    assert dan.pins(T, F) == (F, T) and dan.pins(F, T) == (T, F)
    assert go_d.pins(T, T) == (T, T)  # direct wiring


@pytest.mark.parametrize("board_type", sorted(BOARD_SEQUENCES))
def test_kflash_sequences_enter_isp_and_boot(board_type: str, flash: FlashImage,
                                             tmp_path: Path) -> None:
    isp, boot = BOARD_SEQUENCES[board_type]
    with VirtualBoard(flash, profile=board_type, fs_dir=tmp_path) as board, \
            Client(board.rfc2217_url or "") as client:
        apply_sequence(client, isp)
        client.write(ROM_NOP)  # the chip leaves reset by the time a byte arrives
        assert client.read_until(ROM_NOP_OK).endswith(ROM_NOP_OK)
        assert board.state == "isp"
        if boot is None:
            return
        app_boots = boots(board, "app")
        apply_sequence(client, boot)
        assert board.wait_for(lambda: boots(board, "app") > app_boots, 10)
        client.friendly_prompt()
        client.write(b"6*7\r")
        assert client.read_until(b">>> ") == b"6*7\r\n42\r\n>>> "


@pytest.mark.parametrize(("board_type", "wrong"), [("goE", "isp_dan"), ("dan", "isp_kd233")])
def test_wrong_wiring_leaves_board_in_reset(board_type: str, wrong: str, flash: FlashImage,
                                            tmp_path: Path) -> None:
    with VirtualBoard(flash, profile=board_type, fs_dir=tmp_path) as board, \
            Client(board.rfc2217_url or "") as client:
        apply_sequence(client, wrong)
        sent = board.tx_count
        client.write(ROM_NOP)
        assert board.wait_for(lambda: board.rx_count >= len(ROM_NOP), 10)
        assert board.state == "reset"
        assert board.tx_count == sent


def test_glitch_shorter_than_reset_rc_is_absorbed(flash: FlashImage, tmp_path: Path) -> None:
    with VirtualBoard(flash, fs_dir=tmp_path, rfc2217_port=None) as board:
        board.set_lines(T, F)  # goE: RESET low
        board.set_lines(T, T)  # released with BOOT high, for less than the RC time
        board.set_lines(F, T)  # BOOT low
        board.host_bytes(ROM_NOP)
        assert board.state == "isp"
        assert boots(board, "app") == 1  # only the power-on boot


def test_power_on_with_boot_low_over_pty(flash: FlashImage, tmp_path: Path) -> None:
    with VirtualBoard(flash, fs_dir=tmp_path, rfc2217_port=None, pty=True,
                      boot_pin_low=True) as board, Client(board.pty_path or "") as client:
        assert board.state == "isp"
        client.write(ROM_NOP)
        assert client.read_exactly(len(ROM_NOP_OK)) == ROM_NOP_OK


def test_erased_flash_prints_rom_error_then_stays_silent(tmp_path: Path) -> None:
    with VirtualBoard(None, fs_dir=tmp_path, profile="dan") as board, \
            Client(board.rfc2217_url or "") as client:
        assert board.state == "boot_error"
        board.press_reset()
        assert client.read_until(b"vendor.\r\n") == ROM_BOOT_FAILED
        sent = board.tx_count
        poke = b"\r\x03\x01print(1)\x04"
        client.write(poke)
        assert board.wait_for(lambda: board.rx_count >= len(poke), 10)
        assert board.tx_count == sent
        assert client.drain() == b""
        assert ("boot", "boot_error", "flash erased at offset 0 (no bootable image)") \
            in board.events


# -- fault injection ------------------------------------------------------------------------------

def test_corruption_is_seeded_and_reproducible(flash: FlashImage, tmp_path: Path) -> None:
    outputs = []
    for seed in (7, 7, 8):
        faults = FaultPlan(seed=seed, corrupt_rate=0.2)
        with VirtualBoard(flash, fs_dir=tmp_path, profile="dan", faults=faults) as board, \
                Client(board.rfc2217_url or "") as client:
            client.write(b"\r" * 40)  # the board may still be booting: data resolves it
            outputs.append(client.read_exactly(40 * 6))  # "\r\n>>> " each, some bits flipped
            assert board.line is not None and board.line.tx_faults.corrupted > 0
    clean = b"\r\n>>> " * 40
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]
    assert outputs[0] != clean and outputs[2] != clean


def test_drop_all_output(flash: FlashImage, tmp_path: Path) -> None:
    faults = FaultPlan(drop_rate=1.0)
    with VirtualBoard(flash, fs_dir=tmp_path, profile="dan", faults=faults) as board, \
            Client(board.rfc2217_url or "") as client:
        client.write(b"\r\r\r")
        assert board.wait_for(lambda: board.rx_count >= 3, 10)
        assert board.tx_count == 0
        assert board.line is not None and board.line.tx_faults.dropped > 3 * 6
        assert client.drain() == b""


def test_stop_after_hangs_until_reset(flash: FlashImage, tmp_path: Path) -> None:
    with VirtualBoard(flash, fs_dir=tmp_path, profile="dan") as board, \
            Client(board.rfc2217_url or "") as client:
        client.friendly_prompt()
        board.faults.stop_after = board.rx_count + 4
        client.write(b"1+1\r")  # echoed as it arrives, then the board hangs: no result
        assert board.wait_for(lambda: board.state == "hung", 10)
        assert client.read_until(b"1+1\r\n") == b"1+1\r\n"
        sent, received = board.tx_count, board.rx_count
        client.write(b"2+2\r")
        board.wait_for(lambda: board.rx_count > received, 0.5)
        assert (board.rx_count, board.tx_count) == (received, sent)  # deaf and mute
        board.press_reset()
        assert board.state == "app"
        client.friendly_prompt()  # alive again: the fault acts once


def test_reset_after_resets_mid_transfer(flash: FlashImage, tmp_path: Path) -> None:
    faults = FaultPlan(reset_after=len(ROM_NOP) + 5)
    with VirtualBoard(flash, fs_dir=tmp_path, profile="dan", rfc2217_port=None, pty=True,
                      boot_pin_low=True, faults=faults) as board, \
            Client(board.pty_path or "") as client:
        client.write(ROM_NOP)
        assert client.read_exactly(4) == ROM_NOP_OK
        client.write(ROM_NOP)  # cut after 5 bytes by the reset: never answered
        assert board.wait_for(lambda: board.rx_count >= 2 * len(ROM_NOP), 10)
        assert ("fault_reset", len(ROM_NOP) + 5) in board.events
        assert board.state == "isp"  # BOOT stays strapped low: back in the ROM
        client.write(ROM_NOP)
        assert client.read_exactly(4) == ROM_NOP_OK


def test_isp_faults_reach_the_isp_device(flash: FlashImage, tmp_path: Path) -> None:
    with VirtualBoard(flash, fs_dir=tmp_path, rfc2217_port=None, pty=True, boot_pin_low=True,
                      isp_faults=IspFaults(drop_replies=1)) as board, \
            Client(board.pty_path or "") as client:
        client.write(ROM_NOP)
        assert board.wait_for(lambda: board.rx_count >= len(ROM_NOP), 10)
        client.write(ROM_NOP)
        assert client.read_exactly(4) == ROM_NOP_OK
        assert client.drain() == b""


def test_line_rate_paces_output(flash: FlashImage, tmp_path: Path) -> None:
    """At 9600 baud, 960 bytes need at least a second on the wire (a lower bound only)."""
    with VirtualBoard(flash, fs_dir=tmp_path, profile="dan", line_rate=True) as board, \
            Client(board.rfc2217_url or "") as client:
        client.friendly_prompt()
        client.port.baudrate = 9600
        assert board.wait_for(lambda: board.host_baud == 9600, 10)
        started = time.monotonic()
        client.write(b"print('x' * 950)\r")  # echo + output > 960 bytes
        client.read_until(b"x" * 950 + b"\r\n>>> ", timeout=30)
        assert time.monotonic() - started >= 0.9


# -- flashing it ----------------------------------------------------------------------------------

FIRMWARE = bytes((i * 7 + 3) % 251 for i in range(100_000))
MODEL = bytes((i * 13 + 1) % 241 for i in range(70_000))


def write_kfpkg(path: Path) -> None:
    """A kfpkg as kflash 1.1.6 parses it (pretty JSON, `"address": 0x..,` on one line)."""
    flash_list = ('{\n    "version": "0.1.0",\n    "files": [\n'
                  '        {\n            "address": 0x00000000,\n            "bin": "fw.bin",\n'
                  '            "sha256Prefix": true\n        },\n'
                  '        {\n            "address": 0x00300000,\n'
                  '            "bin": "model.bin",\n            "sha256Prefix": false\n'
                  '        }\n    ]\n}\n')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("flash-list.json", flash_list)
        archive.writestr("fw.bin", FIRMWARE)
        archive.writestr("model.bin", MODEL)


def assert_flash_holds_package(path: Path) -> None:
    data = path.read_bytes()
    image = bootimage.wrap(FIRMWARE)
    assert len(data) == 16 * 1024 * 1024
    assert data[:len(image)] == image
    assert data[0x300000:0x300000 + len(MODEL)] == MODEL
    assert data[len(image):0x300000] == b"\xff" * (0x300000 - len(image))
    assert data[0x300000 + len(MODEL):] == b"\xff" * (len(data) - 0x300000 - len(MODEL))


KFLASH_LAUNCHER = """\
import sys
import serial
import kflash
# kflash opens ports with serial.Serial(port=...): route it to serial_for_url for rfc2217://
serial.Serial = lambda port=None, *args, **kwargs: serial.serial_for_url(port, *args, **kwargs)
sys.argv = ["kflash", *sys.argv[1:]]
kflash.main()
"""


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "kflash_args"),
                         [("goE", ["-B", "goE", "-b", "1500000"]), ("dan", []),
                          ("goE", [])])  # auto: dan's sequence times out, port reopened
def test_kflash_writes_kfpkg_over_rfc2217(profile: str, kflash_args: list[str],
                                          tmp_path: Path) -> None:
    package, flash_file = tmp_path / "t.kfpkg", tmp_path / "flash.img"
    write_kfpkg(package)
    launcher = tmp_path / "kflash_rfc2217.py"
    launcher.write_text(KFLASH_LAUNCHER)
    with VirtualBoard(flash_file, profile=profile, fs_dir=tmp_path / "fs") as board:
        result = subprocess.run(
            [sys.executable, str(launcher), "-p", board.rfc2217_url or "", *kflash_args,
             str(package)], capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert board.wait_for(lambda: boots(board, "app") > 0 and board.state == "app", 10)
        assert ("boot", "app", len(FIRMWARE)) in board.events
        if kflash_args:
            assert ("host_baud", 1500000) in board.events
            assert ("board_baud", 1500000) in board.events
    assert_flash_holds_package(flash_file)


@pytest.mark.slow
def test_maixkpu_flash_writes_kfpkg_over_rfc2217(tmp_path: Path) -> None:
    package, flash_file = tmp_path / "t.kfpkg", tmp_path / "flash.img"
    write_kfpkg(package)
    with VirtualBoard(flash_file, fs_dir=tmp_path / "fs") as board:
        result = subprocess.run(
            [sys.executable, "-m", "maixkpu", "flash", str(package), "--port",
             board.rfc2217_url or "", "--board", "goE", "--quiet"],
            capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert board.wait_for(lambda: board.state == "app", 10)
    assert_flash_holds_package(flash_file)


# -- CLI ------------------------------------------------------------------------------------------

def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    flash_file, package = tmp_path / "flash.img", tmp_path / "t.kfpkg"
    write_kfpkg(package)  # preloaded into the erased flash as kflash would write it
    proc = subprocess.Popen(
        [sys.executable, "-m", "maixkpu", "vboard", "--flash", str(flash_file), "--pty",
         "--kfpkg", str(package), "--fs", str(tmp_path / "fs"), "--board", "dan"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        assert lines[0] == "virtual Maix board (dan), state: app", lines
        assert lines[1].startswith("rfc2217://127.0.0.1:")
        assert lines[2].startswith("/dev/pts/")
        result = mpremote(lines[2], "exec", "print(3*3)", timeout=60)
        assert result.stdout.strip() == "9", result.stderr
        result = mpremote(lines[1], "exec", "print(4*4)", timeout=60)
        assert result.stdout.strip() == "16", result.stderr
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert_flash_holds_package(flash_file)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_rx_faults_drop_host_bytes_and_restart(flash: FlashImage, tmp_path: Path) -> None:
    board = VirtualBoard(flash, fs_dir=tmp_path, rfc2217_port=None,
                         faults=FaultPlan(seed=3, rx_drop_rate=1.0))
    with board:
        board.host_bytes(b"print(1)\r")
        assert board.rx_count == 0
        assert board.line is not None and board.line.rx_faults.dropped == 9
    assert board.state == "off"
    board.faults = FaultPlan()  # the plan is read again at the next power-on
    with board:  # a board can be powered on again
        assert board.state == "app" and board.events.count(("power_on",)) == 2
        board.host_bytes(b"\r")
        assert board.rx_count == 1


@pytest.mark.slow
def test_reset_mid_transfer_fails_maixkpu_flash_cleanly(tmp_path: Path) -> None:
    package, flash_file = tmp_path / "t.kfpkg", tmp_path / "flash.img"
    write_kfpkg(package)
    # the reset lands inside the first 64 KiB write; BOOT is still held low: back in the ROM
    with VirtualBoard(flash_file, fs_dir=tmp_path / "fs",
                      faults=FaultPlan(reset_after=60_000)) as board:
        result = subprocess.run(
            [sys.executable, "-m", "maixkpu", "flash", str(package), "--port",
             board.rfc2217_url or "", "--board", "goE", "--timeout", "1", "--retries", "2"],
            capture_output=True, text=True, timeout=120, check=False)
        assert ("fault_reset", 60_000) in board.events
        assert board.state == "isp"
    assert result.returncode == 1
    assert "FAILED" in result.stderr
    with FlashImage(flash_file) as image:
        assert image.boot_image() is None  # the firmware never got written completely


def test_cli_fault_options_reach_both_directions(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from maixkpu.cli import main
    from maixkpu.commands import vboard as vboard_command

    served: list[FaultPlan] = []
    monkeypatch.setattr(vboard_command, "_serve",
                        lambda flash, faults, args: served.append(faults) or 0)
    assert main(["vboard", "--flash", str(tmp_path / "f.img"), "--seed", "4",
                 "--drop-rate", "0.1", "--corrupt-rate", "0.2", "--rx-drop-rate", "0.3",
                 "--rx-corrupt-rate", "0.01", "--stop-after", "7"]) == 0
    assert served == [FaultPlan(seed=4, drop_rate=0.1, corrupt_rate=0.2, rx_drop_rate=0.3,
                                rx_corrupt_rate=0.01, stop_after=7)]
    assert main(["vboard", "--flash", str(tmp_path / "f.img"), "--rx-corrupt-rate", "2"]) == 2
    assert "rx_corrupt_rate must be within 0..1" in capsys.readouterr().err
