"""Flashing a board for a HIL run, and knowing when it is not needed.

`flash_kfpkg` drives `maixkpu.isp`'s flasher (reset per board type, ISP, writes, reboot);
boards that can hash their flash over ISP (the virtual board) skip chunks already there.
`flash_holds` asks a running MaixPy board (module `flash`, `flash.read(addr, n)`) whether the
regions are already in place, so a real board is not re-flashed for every session.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Union

from maixkpu.board.board import Board
from maixkpu.board.profiles import DEFAULT_BOARD, board_type

PathLike = Union[str, "os.PathLike[str]"]
Regions = list[tuple[int, bytes]]
READ_PIECE = 4096


def kfpkg_regions(path: PathLike) -> Regions:
    from maixkpu.kfpkg import read_kfpkg

    return read_kfpkg(path).regions()


def flash_kfpkg(url: str, package: PathLike | Regions, *, board: str = DEFAULT_BOARD,
                baud: int | None = None, progress: Any = None, firmware: PathLike | None = None
                ) -> Any:
    """Write a kfpkg (or regions) and optionally a firmware .bin at 0; returns the
    `FlashReport`. Raises `maixkpu.isp.flasher.FlashError` on failure."""
    from maixkpu.isp import bootimage
    from maixkpu.isp.flasher import Flasher, FlashOptions, open_port
    from maixkpu.isp.progress import FlashProgress

    kind = board_type(board)
    regions = kfpkg_regions(package) if isinstance(package, (str, os.PathLike)) else package
    if firmware is not None:
        with open(firmware, "rb") as f:
            regions = [(0, bootimage.wrap(f.read())), *regions]
    options = FlashOptions(board=kind.isp_board, baudrate=baud or kind.flash_baud)
    progress = progress if progress is not None else FlashProgress(quiet=True)
    port = open_port(url)
    try:
        with progress:
            return Flasher(port, options, progress).run(regions)
    finally:
        port.close()


def flash_holds(board: Board, regions: Regions) -> bool | None:
    """True/False when the board's `flash` module can tell whether every region is in place;
    None when the firmware has no such module."""
    if not board.has_module("flash"):
        return None
    board.exec("import flash\ntry:\n import uhashlib as _hil_h\nexcept ImportError:\n"
               " import hashlib as _hil_h\ntry:\n import ubinascii as _hil_b\n"
               "except ImportError:\n import binascii as _hil_b\n"
               "def _hil_flash_sha(a, n):\n"
               " h = _hil_h.sha256()\n"
               f" for o in range(0, n, {READ_PIECE}):\n"
               f"  h.update(flash.read(a + o, min({READ_PIECE}, n - o)))\n"
               " return _hil_b.hexlify(h.digest()).decode()")
    for address, data in regions:
        remote = board.eval_json(f"_hil_flash_sha({address}, {len(data)})", timeout=120)
        if remote != hashlib.sha256(data).hexdigest():
            return False
    return True
