"""The pytest plugin (maixkpu.pytest_plugin) in inner pytest runs against virtual boards:
--port, xdist worker -> port, ports files, flashed_board's flash-once and skip-when-there."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from host_tests.conftest import shared_model
from host_tests.hil.conftest import FACE_KFPKG
from maixkpu import pytest_plugin
from maixkpu.board import start_virtual_board

pytest_plugins = ["pytester"]
INNER_TIMEOUT = 300  # seconds for one inner pytest run (a hung board fails the test)
pytestmark = pytest.mark.hil


def inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner pytest run in a subprocess, bounded in time."""
    return pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", timeout=INNER_TIMEOUT)


def _config(options: dict[str, Any], workerid: str | None = None) -> Any:
    config = SimpleNamespace(getoption=lambda name: options.get(name))
    if workerid is not None:
        config.workerinput = {"workerid": workerid}
    return config


def test_ports_from_options_and_file(tmp_path: Path) -> None:
    listing = tmp_path / "ports.txt"
    listing.write_text("# lab rack\n/dev/ttyUSB0\n\nrfc2217://10.0.0.5:4000  # dock\n")
    config = _config({"maixkpu_ports": ["/dev/ttyACM0"], "maixkpu_ports_file": str(listing)})
    assert pytest_plugin.configured_ports(config) == [
        "/dev/ttyACM0", "/dev/ttyUSB0", "rfc2217://10.0.0.5:4000"]
    assert pytest_plugin.worker_index(_config({})) == 0
    assert pytest_plugin.worker_index(_config({}, "gw3")) == 3


@pytest.fixture
def two_boards() -> Iterator[list[str]]:
    started = [start_virtual_board() for _ in range(2)]
    try:
        yield [url for url, _ in started]
    finally:
        for _, vboard in started:
            vboard.stop()


def test_virtual_board_without_port(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="""
        def test_exec(board):
            assert board.vboard is not None and board.vboard.state == "app"
            assert board.eval_json("[1, 2]") == [1, 2]
        """)
    inner(pytester).assert_outcomes(passed=1)


def test_xdist_workers_own_one_board_each(pytester: pytest.Pytester, two_boards: list[str],
                                          tmp_path: Path) -> None:
    """--port and --ports-file together give the port list; gw0 and gw1 get one board each,
    gw2 has none and skips."""
    log = tmp_path / "log.txt"
    pytester.makepyfile(test_inner=f"""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(12))
        def test_exec(board, n):
            assert board.exec("print(1)") == "1\\n"
            with open({str(log)!r}, "a") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"] + " " + board.url + "\\n")
        """)
    ports_file = tmp_path / "ports.txt"
    ports_file.write_text(f"# second board\n{two_boards[1]}\n")
    result = inner(pytester, "-n", "3", "--port", two_boards[0], "--ports-file",
                   str(ports_file), "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) == 12
    assert outcomes.get("skipped", 0) >= 1
    result.stdout.fnmatch_lines(["*no board for xdist worker 2: 2 port(s) given*"])
    seen = [line.split() for line in log.read_text().splitlines()]
    assert len(seen) == outcomes["passed"]
    for worker, url in seen:
        assert url == two_boards[int(worker.removeprefix("gw"))]
    assert {worker for worker, _ in seen} == {"gw0", "gw1"}


def test_flashed_board_flashes_once_per_session(pytester: pytest.Pytester) -> None:
    kfpkg = shared_model(FACE_KFPKG)
    pytester.makepyfile(test_inner="""
        reports = []

        def test_first(flashed_board):
            reports.append(flashed_board.flash_report)
            assert flashed_board.flash_report.bytes_written == 388776
            assert flashed_board.exec("import KPU\\nprint(KPU.load(0x300000).model_size())") \\
                == "388776\\n"

        def test_second(flashed_board):
            assert flashed_board.flash_report is reports[0]  # not flashed again
            assert flashed_board.eval_json("'KPU' in globals()") is False  # fresh VM
        """)
    result = inner(pytester, "--kfpkg", str(kfpkg))
    result.assert_outcomes(passed=2)


def test_flashed_board_skips_bytes_already_there(pytester: pytest.Pytester) -> None:
    kfpkg = shared_model(FACE_KFPKG)
    url, vboard = start_virtual_board(kfpkgs=[kfpkg])
    try:
        pytester.makepyfile(test_inner="""
            def test_already_flashed(flashed_board):
                report = flashed_board.flash_report
                assert report.bytes_written == 0 and report.bytes_skipped == 388776
            """)
        result = inner(pytester, "--port", url, "--board", "maix_go", "--kfpkg", str(kfpkg))
        result.assert_outcomes(passed=1)
    finally:
        vboard.stop()
