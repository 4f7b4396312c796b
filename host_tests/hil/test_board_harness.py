"""The harness itself (maixkpu.board) on virtual boards: exec, errors, JSON, transfers, timeouts
and recovery (Ctrl-C, then reset lines), reset into the application per board type, pty and
boards without raw-paste."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from host_tests.conftest import shared_model
from host_tests.hil.conftest import FACE_KFPKG
from maixkpu.board import (
    BOARD_TYPES,
    Board,
    BoardConnectionError,
    BoardError,
    BoardTimeout,
    start_virtual_board,
)
from maixkpu.board.flashing import flash_holds, kfpkg_regions
from maixkpu.board.transfer import push_bytes, put_file, read_bytes, sha256_remote
from maixkpu.isp.reset import PROFILES as ISP_PROFILES
from maixkpu.vboard import PROFILES as VBOARD_PROFILES

pytestmark = pytest.mark.hil


@pytest.fixture
def vboard() -> Iterator[tuple[str, Any]]:
    url, board = start_virtual_board()
    try:
        yield url, board
    finally:
        board.stop()


@pytest.fixture
def maix_go(vboard: tuple[str, Any]) -> Iterator[Board]:
    with Board(vboard[0], board="maix_go") as board:
        yield board


def test_traceback_becomes_board_error() -> None:
    text = ('Traceback (most recent call last):\n  File "<stdin>", line 3, in <module>\n'
            "ValueError: [MAIXPY]kpu: load error:2002, ERR_KMODEL_VERSION\n")
    err = BoardError.from_traceback(text, "partial\n")
    assert err.exc_type == "ValueError"
    assert err.remote_message == "[MAIXPY]kpu: load error:2002, ERR_KMODEL_VERSION"
    assert err.traceback == text and err.stdout == "partial\n"
    bare = BoardError.from_traceback("KeyboardInterrupt: \n")
    assert bare.exc_type == "KeyboardInterrupt" and bare.remote_message == ""


def test_exec_eval_and_remote_errors(maix_go: Board) -> None:
    assert maix_go.exec("for i in range(3):\n    print(i)") == "0\n1\n2\n"
    assert maix_go.eval_json("{'a': [1, 2.5, 'x'], 'b': None}") == {"a": [1, 2.5, "x"],
                                                                     "b": None}
    # other prints before the value do not confuse eval_json
    assert maix_go.eval_json("len(s)", setup="s = 'abc'\nprint('noise')") == 3
    with pytest.raises(BoardError) as info:
        maix_go.exec("print('before')\nraise OSError(2)")
    assert info.value.exc_type == "OSError"
    assert info.value.remote_message == "[Errno 2] ENOENT"
    assert info.value.stdout == "before\n"
    assert maix_go.exec("print('after')") == "after\n"


def test_transfers_round_trip(maix_go: Board, vboard: tuple[str, Any]) -> None:
    data = bytes((i * 7 + i // 256) & 0xFF for i in range(50_000))
    push_bytes(maix_go, "blob", data)
    assert sha256_remote(maix_go, "blob") == hashlib.sha256(data).hexdigest()
    assert read_bytes(maix_go, "blob") == data
    assert maix_go.has_filesystem()
    put_file(maix_go, "/flash/blob.bin", data[:10_000])
    assert (vboard[1].fs_dir / "blob.bin").read_bytes() == data[:10_000]
    assert maix_go.eval_json("len(open('/flash/blob.bin', 'rb').read())") == 10_000


def test_timeout_stops_script_and_board_recovers(maix_go: Board) -> None:
    maix_go.exec("kept = 123")
    start = time.monotonic()
    with pytest.raises(BoardTimeout) as info:
        maix_go.exec("while True:\n    pass", timeout=1.0)
    assert time.monotonic() - start < 8
    assert "stopped with Ctrl-C" in str(info.value)
    assert maix_go.eval_json("kept") == 123  # the VM survived


def test_script_ignoring_ctrl_c_is_reset(maix_go: Board) -> None:
    stubborn = ("while True:\n    try:\n        while True:\n            pass\n"
                "    except KeyboardInterrupt:\n        pass")
    maix_go.exec("kept = 1")
    with pytest.raises(BoardTimeout) as info:
        maix_go.exec(stubborn, timeout=1.0)
    assert "reset" in str(info.value)
    assert maix_go.exec("print('alive')") == "alive\n"
    assert maix_go.eval_json("'kept' in globals()") is False  # a hard reset: fresh VM


def test_generic_board_without_lines_cannot_be_reset(vboard: tuple[str, Any]) -> None:
    with Board(vboard[0]) as board:  # generic: no wiring known
        with pytest.raises(BoardError, match="no reset lines"):
            board.reset_to_app()
        assert board.exec("print(2)") == "2\n"


@pytest.mark.parametrize("name", sorted(n for n, t in BOARD_TYPES.items()
                                        if t.app_reset is not None))
def test_reset_to_app_per_board_type(name: str) -> None:
    kind = BOARD_TYPES[name]
    assert kind.isp_board in ISP_PROFILES and kind.vboard_profile in VBOARD_PROFILES
    url, vboard = start_virtual_board(profile=kind.vboard_profile)
    try:
        with Board(url, board=name) as board:
            board.exec("mark = 1")
            boots = sum(1 for e in vboard.events if e[0] == "boot")
            board.reset_to_app()
            board.enter_raw()
            assert sum(1 for e in vboard.events if e[0] == "boot") > boots
            assert vboard.state == "app"
            assert board.eval_json("'mark' in globals()") is False
    finally:
        vboard.stop()


def test_pty_board_and_old_raw_repl() -> None:
    """A pty (mpremote's blocking-read path) and a MaixPy without raw-paste."""
    url, vboard = start_virtual_board(pty=True, raw_paste=False)
    try:
        assert url.startswith("/dev/")
        with Board(url) as board:
            push_bytes(board, "b", bytes(range(256)) * 20)
            assert board.eval_json("sum(b)") == sum(range(256)) * 20
            with pytest.raises(BoardTimeout):
                board.exec("while True:\n    pass", timeout=1.0)
            assert board.exec("print(5)") == "5\n"
    finally:
        vboard.stop()


def test_connection_errors() -> None:
    with pytest.raises(BoardConnectionError):
        Board("rfc2217://127.0.0.1:1")
    url, vboard = start_virtual_board(firmware=False)  # erased flash: no REPL
    try:
        with pytest.raises(BoardConnectionError, match="no MicroPython raw REPL"):
            Board(url, connect_timeout=2.0)
    finally:
        vboard.stop()


def _flash_module(ctx: Any) -> ModuleType:
    """A firmware `flash` module reading the board's SPI flash (like Maix.utils.flash_read)."""
    module = ModuleType("flash")
    module.read = ctx.flash_read  # type: ignore[attr-defined]
    return module


def test_flash_holds_asks_the_firmware() -> None:
    kfpkg = shared_model(FACE_KFPKG)
    regions = kfpkg_regions(kfpkg)
    url, vboard = start_virtual_board(kfpkgs=[kfpkg], modules={"flash": _flash_module})
    try:
        with Board(url) as board:
            assert flash_holds(board, regions) is True
            (address, data), = regions
            changed = data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]
            assert flash_holds(board, [(address, changed)]) is False
            assert flash_holds(board, [(0xA00000, b"\xff" * 5000)]) is True  # erased there
    finally:
        vboard.stop()
    url, vboard = start_virtual_board()
    try:
        with Board(url) as board:  # no way to read the flash from the REPL
            assert flash_holds(board, regions) is None
    finally:
        vboard.stop()
