"""The KPU module on the board: netinfo, memtest and deinit, load errors, hung scripts."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from host_tests.hil.photos import photo
from maixkpu.board import Board, BoardError, BoardTimeout
from maixkpu.board.models import model_from_kfpkg, sidecar_config
from maixkpu.board.remote_kpu import RemoteKpu
from maixkpu.board.transfer import push_image

pytestmark = pytest.mark.hil

LOAD_2002 = "[MAIXPY]kpu: load error:2002, "


def test_netinfo_table_equals_host(flashed_board: Board, golden: Any, hil_kfpkg: Path) -> None:
    kpu = RemoteKpu(flashed_board)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    rows = kpu.netinfo()
    assert rows == golden(hil_kfpkg).netinfo()
    assert [r["index"] for r in rows] == list(range(len(rows)))


def _memtest_on_board(kpu: RemoteKpu, capsys: pytest.CaptureFixture[str]) -> str:
    """memtest's text as the board printed it; nothing may leak to the host's stdout."""
    capsys.readouterr()
    text = kpu.memtest()
    assert "free sys heap memory" not in capsys.readouterr().out
    return text


def test_memtest_reports_heaps(flashed_board: Board, capsys: pytest.CaptureFixture[str]
                               ) -> None:
    text = _memtest_on_board(RemoteKpu(flashed_board), capsys)
    assert re.search(r"free gc heap memory\s*:\s*\d+\s*KB", text), text
    assert re.search(r"free sys heap memory\s*:\s*\d+\s*KB", text), text


def _free_sys_kb(kpu: RemoteKpu, capsys: pytest.CaptureFixture[str]) -> int:
    match = re.search(r"free sys heap memory\s*:\s*(\d+)\s*KB", _memtest_on_board(kpu, capsys))
    assert match is not None
    return int(match.group(1))


def test_deinit_gives_memory_back(flashed_board: Board, hil_kfpkg: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    kpu = RemoteKpu(flashed_board)
    before = _free_sys_kb(kpu, capsys)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    loaded = _free_sys_kb(kpu, capsys)
    kpu.deinit()
    after = _free_sys_kb(kpu, capsys)
    assert loaded < before
    assert after == before


def test_bad_offset_raises_documented_error_and_board_keeps_working(
        flashed_board: Board, hil_kfpkg: Path, golden: Any) -> None:
    model = model_from_kfpkg(hil_kfpkg)
    config = sidecar_config(hil_kfpkg)
    kpu = RemoteKpu(flashed_board)
    kpu.load(model.address)
    kpu.init_yolo2(config)
    with pytest.raises(BoardError) as info:
        flashed_board.exec("bad = kpu.load(0x100000)")  # erased flash there
    assert info.value.exc_type == "ValueError"
    assert info.value.remote_message.startswith(LOAD_2002)
    assert "Traceback" in info.value.traceback
    # the board and the model loaded before still work
    assert flashed_board.eval_json("6 * 7") == 42
    pushed = push_image(flashed_board, photo("astronaut"), config.width, config.height)
    assert kpu.detect(pushed.name) == golden(hil_kfpkg).detect(pushed.ai, config)


@pytest.mark.parametrize("hang", ["while True:\n    pass",
                                  "import time\nwhile True:\n    time.sleep_ms(50)"])
def test_hanging_script_is_stopped_and_board_recovers(flashed_board: Board,
                                                      hil_kfpkg: Path, hang: str) -> None:
    kpu = RemoteKpu(flashed_board)
    kpu.load(model_from_kfpkg(hil_kfpkg).address)
    flashed_board.exec("marker = 'still here'")
    with pytest.raises(BoardTimeout) as info:
        flashed_board.exec("print('started')\n" + hang, timeout=1.5)
    assert "did not finish" in str(info.value)
    assert flashed_board.exec("print(1 + 1)") == "2\n"
    # Ctrl-C stops the script, not the VM: globals and the loaded model are still there
    assert flashed_board.eval_json("marker") == "still here"
    assert flashed_board.eval_json(f"{kpu.net}.model_size()") == len(
        model_from_kfpkg(hil_kfpkg).kmodel)
