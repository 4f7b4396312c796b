"""pytest plugin (entry point `pytest11`): Maix boards as fixtures for hardware-in-the-loop tests.

Options: --port URL (repeatable), --ports-file FILE (one port per line), --board TYPE,
--baud N, --kfpkg PKG, --firmware BIN. Without a port every fixture uses a virtual board.

Fixtures:
  board          a connected Board in the raw REPL (fresh virtual board per test without --port)
  flashed_board  the session's board with --kfpkg (and --firmware) flashed once per session,
                 skipped when the flash already holds those bytes; a soft-reset VM per test
  golden         golden(kmodel bytes | .kmodel | .kfpkg) -> HostModel (maixkpu.core results)
  hil_kfpkg      the package flashed_board flashes (--kfpkg; override the fixture for a default)

With pytest-xdist each worker owns one board: worker gwN takes the N-th port; a worker without
a port of its own skips its board tests. Marker: `hil`.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

GROUP = "maixkpu HIL boards"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("maixkpu", GROUP)
    group.addoption("--port", action="append", default=[], dest="maixkpu_ports",
                    help="serial device or pyserial URL of a Maix board (repeatable: one per "
                         "xdist worker); default: virtual boards")
    group.addoption("--ports-file", dest="maixkpu_ports_file", default=None,
                    help="file listing board ports, one per line (# comments)")
    group.addoption("--board", dest="maixkpu_board", default="generic",
                    help="board type (maix_bit, maix_dock, maix_go, maixduino, amigo, cube, "
                         "kd233, generic)")
    group.addoption("--baud", dest="maixkpu_baud", type=int, default=None,
                    help="REPL baud rate (default: the board type's)")
    group.addoption("--kfpkg", dest="maixkpu_kfpkg", default=None,
                    help="kfpkg that flashed_board writes once per session")
    group.addoption("--firmware", dest="maixkpu_firmware", default=None,
                    help="firmware .bin that flashed_board writes at 0 (real boards)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hil: hardware-in-the-loop test (virtual board by default, real with --port)")


def configured_ports(config: pytest.Config) -> list[str]:
    ports = list(config.getoption("maixkpu_ports") or [])
    listing = config.getoption("maixkpu_ports_file")
    if listing:
        for line in Path(listing).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                ports.append(line)
    return ports


def worker_index(config: pytest.Config) -> int:
    """0 without xdist, N for worker gwN."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput:
        return 0
    return int(str(workerinput.get("workerid", "gw0")).lstrip("gw") or 0)


class BoardTarget:
    """Where this worker's board is: a real port, or a virtual board it started."""

    def __init__(self, config: pytest.Config) -> None:
        ports = configured_ports(config)
        self.board_type = config.getoption("maixkpu_board")
        self.baud = config.getoption("maixkpu_baud")
        self.port: str | None = None
        if ports:
            index = worker_index(config)
            if index >= len(ports):
                pytest.skip(f"no board for xdist worker {index}: {len(ports)} port(s) given")
            self.port = ports[index]
        self.vboard: Any = None
        self.flashed: dict[tuple[str, str], Any] = {}  # (kfpkg, firmware) -> FlashReport/None

    @property
    def virtual(self) -> bool:
        return self.port is None

    def url(self) -> str:
        if self.port is not None:
            return self.port
        if self.vboard is None:
            from maixkpu.board.profiles import board_type
            from maixkpu.board.virtual import start_virtual_board

            kind = self.board_type if self.board_type != "generic" else "maix_go"
            url, self.vboard = start_virtual_board(profile=board_type(kind).vboard_profile)
            self._url = url
        return str(self._url)

    def connect_type(self) -> str:
        return self.board_type if not self.virtual or self.board_type != "generic" \
            else "maix_go"

    def close(self) -> None:
        if self.vboard is not None:
            self.vboard.stop()
            self.vboard = None


@pytest.fixture(scope="session")
def hil_target(request: pytest.FixtureRequest) -> Iterator[BoardTarget]:
    target = BoardTarget(request.config)
    try:
        yield target
    finally:
        target.close()


@pytest.fixture
def board(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A connected board in the raw REPL: --port's board (this worker's), else a fresh
    virtual board that stops after the test."""
    from maixkpu.board import Board
    from maixkpu.board.profiles import board_type
    from maixkpu.board.virtual import start_virtual_board

    config = request.config
    ports = configured_ports(config)
    kind = config.getoption("maixkpu_board")
    if ports:
        index = worker_index(config)
        if index >= len(ports):
            pytest.skip(f"no board for xdist worker {index}: {len(ports)} port(s) given")
        with Board(ports[index], board=kind, baud=config.getoption("maixkpu_baud"),
                   soft_reset=True) as connected:
            yield connected
        return
    kind = kind if kind != "generic" else "maix_go"
    url, vboard = start_virtual_board(profile=board_type(kind).vboard_profile)
    try:
        with Board(url, board=kind) as connected:
            connected.vboard = vboard
            yield connected
    finally:
        vboard.stop()


@pytest.fixture(scope="session")
def hil_kfpkg(request: pytest.FixtureRequest) -> Path | None:
    value = request.config.getoption("maixkpu_kfpkg")
    return Path(value) if value else None


def _flash_once(target: BoardTarget, kfpkg: Path | None, firmware: str | None) -> Any:
    """Flash for this session unless done already or the board holds the bytes; the
    FlashReport, or None when nothing had to be written."""
    from maixkpu.board import Board, BoardError
    from maixkpu.board.flashing import flash_holds, flash_kfpkg, kfpkg_regions

    key = (str(kfpkg), str(firmware))
    if key in target.flashed:
        return target.flashed[key]
    url = target.url()
    regions = kfpkg_regions(kfpkg) if kfpkg is not None else []
    report = None
    if regions or firmware:
        holds = None
        if not target.virtual and firmware is None:
            try:
                with Board(url, board=target.board_type, baud=target.baud) as probe:
                    holds = flash_holds(probe, regions)
            except BoardError:  # no firmware answering yet: flash
                holds = None
        if holds is not True:
            report = flash_kfpkg(url, regions, board=target.connect_type(), firmware=firmware)
    target.flashed[key] = report
    return report


@pytest.fixture
def flashed_board(hil_target: BoardTarget, hil_kfpkg: Path | None,
                  request: pytest.FixtureRequest) -> Iterator[Any]:
    """The session's board with the kfpkg flashed (once per session), a fresh VM per test."""
    from maixkpu.board import Board

    firmware = request.config.getoption("maixkpu_firmware")
    report = _flash_once(hil_target, hil_kfpkg, firmware)
    with Board(hil_target.url(), board=hil_target.connect_type(), baud=hil_target.baud,
               soft_reset=True) as connected:
        connected.vboard = hil_target.vboard
        connected.flash_report = report
        yield connected


class GoldenModels:
    """Host models by source, loaded once per session."""

    def __init__(self) -> None:
        self._models: dict[Any, Any] = {}

    def __call__(self, source: bytes | str | os.PathLike[str]) -> Any:
        from maixkpu.board.golden import HostModel
        from maixkpu.board.models import model_from_kfpkg

        key = source if isinstance(source, bytes) else str(source)
        if key not in self._models:
            if isinstance(source, bytes):
                data = source
            elif str(source).endswith(".kfpkg"):
                data = model_from_kfpkg(source).kmodel
            else:
                data = Path(source).read_bytes()
            self._models[key] = HostModel(data)
        return self._models[key]

    def close(self) -> None:
        for model in self._models.values():
            model.close()
        self._models.clear()


@pytest.fixture(scope="session")
def golden() -> Iterator[GoldenModels]:
    """golden(model) -> HostModel: detect / fmap_hashes / layer_map / netinfo on the host."""
    models = GoldenModels()
    try:
        yield models
    finally:
        models.close()
