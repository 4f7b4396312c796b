"""Flashing a board for a HIL run, and knowing when it is not needed.

`flash_kfpkg` drives `maixkpu.isp`'s flasher (reset per board type, ISP, writes, reboot);
boards that can hash their flash over ISP (the virtual board) skip chunks already there.
`flash_holds` asks a running MaixPy board (`Maix.utils.flash_read(addr, n)`) whether the
regions are already in place, so a real board is not re-flashed for every session.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Union

from maixkpu.board.board import Board
from maixkpu.board.errors import BoardError
from maixkpu.board.profiles import DEFAULT_BOARD, board_type

PathLike = Union[str, "os.PathLike[str]"]
Regions = list[tuple[int, bytes]]
READ_PIECE = 4096


def kfpkg_regions(path: PathLike) -> Regions:
    """The package's regions. A malformed endian field, or a model in the other byte order
    than its endian field declares, raises KfpkgError before any board is touched (as
    `maixkpu flash` refuses it)."""
    from maixkpu.kfpkg import KfpkgError, read_kfpkg
    from maixkpu.kfpkg_check import declared_order_errors

    pkg = read_kfpkg(path)
    errors = declared_order_errors(pkg)
    if errors:
        raise KfpkgError(f"{path}: " + "; ".join(errors))
    return pkg.regions()


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


_FLASH_READER = """
try:
    from Maix import utils as _hil_u
    _hil_fr = _hil_u.flash_read
except ImportError:
    import flash as _hil_u
    _hil_fr = _hil_u.read
try:
    import uhashlib as _hil_h
except ImportError:
    import hashlib as _hil_h
try:
    import ubinascii as _hil_b
except ImportError:
    import binascii as _hil_b

def _hil_flash_sha(a, n):
    h = _hil_h.sha256()
    for o in range(0, n, PIECE):
        h.update(_hil_fr(a + o, min(PIECE, n - o)))
    return _hil_b.hexlify(h.digest()).decode()
""".replace("PIECE", str(READ_PIECE))


def flash_holds(board: Board, regions: Regions) -> bool | None:
    """True/False when the firmware can read its flash (MaixPy's `Maix.utils.flash_read`, or
    a `flash.read`) and tell whether every region is in place; None when it cannot."""
    if not (board.has_module("Maix") or board.has_module("flash")):
        return None
    try:
        board.exec(_FLASH_READER)
    except BoardError:  # Maix without utils.flash_read
        return None
    for address, data in regions:
        remote = board.eval_json(f"_hil_flash_sha({address}, {len(data)})", timeout=120)
        if remote != hashlib.sha256(data).hexdigest():
            return False
    return True
