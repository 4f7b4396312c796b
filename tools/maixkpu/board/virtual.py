"""A virtual Maix board for the harness: flash file in its own temporary folder, camera and LCD
folders, stopped (and the folder removed) by `stop()`.

    url, vboard = start_virtual_board(camera_dir="frames", kfpkgs=["face.kfpkg"])
    try:
        with Board(url) as board: ...
    finally:
        vboard.stop()
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

from maixkpu.vboard import VirtualBoard

PathLike = Union[str, "os.PathLike[str]"]
# Any valid boot image makes the virtual board run its MaixPy-compatible REPL.
VIRTUAL_FIRMWARE = b"MaixKPU virtual MaixPy firmware\0".ljust(4096, b"\0")


class HarnessVirtualBoard(VirtualBoard):
    """A VirtualBoard that also deletes the temporary folder holding its flash file."""

    def __init__(self, *args: Any, work_dir: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.work_dir = work_dir

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            shutil.rmtree(self.work_dir, ignore_errors=True)


def start_virtual_board(*, firmware: bool | bytes = True, kfpkgs: Iterable[PathLike] = (),
                        camera_dir: PathLike | None = None, lcd_dir: PathLike | None = None,
                        fs_dir: PathLike | None = None, profile: str = "goE",
                        pty: bool = False, raw_paste: bool = True,
                        modules: Mapping[str, Any] | None = None) -> tuple[str, VirtualBoard]:
    """Start a virtual board; returns (serial URL, board). The caller stops the board.

    firmware: True writes a placeholder boot image at 0 (the REPL runs at once), bytes write
    that firmware, False leaves the flash erased (the board waits in the ROM for `maixkpu
    flash`). kfpkgs are written into the flash as kflash would. The URL is the RFC 2217 one
    (DTR/RTS work), or the pty path with `pty=True`. `modules` changes the firmware's module
    map (a None value removes a module, e.g. {"image": None} for a build without it).
    """
    from maixkpu.isp import bootimage
    from maixkpu.kfpkg import read_kfpkg
    from maixkpu.vboard.flash import FlashImage

    work_dir = Path(tempfile.mkdtemp(prefix="maixkpu-hil-"))
    try:
        flash_path = work_dir / "flash.bin"
        flash = FlashImage(flash_path)
        try:
            if firmware:
                payload = VIRTUAL_FIRMWARE if firmware is True else bytes(firmware)
                flash.overwrite(0, bootimage.wrap(payload))
            for package in kfpkgs:
                for address, data in read_kfpkg(package).regions():
                    flash.overwrite(address, data)
        finally:
            flash.close()
        if fs_dir is None:
            fs_dir = work_dir / "flash_fs"
            os.makedirs(fs_dir)
        vboard = HarnessVirtualBoard(
            flash_path, work_dir=work_dir, profile=profile, pty=pty,
            rfc2217_port=None if pty else 0, fs_dir=fs_dir, camera_dir=camera_dir,
            lcd_out_dir=lcd_dir, raw_paste=raw_paste, modules=modules)
        vboard.start()
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    url = vboard.pty_path if pty else vboard.rfc2217_url
    assert url is not None
    return url, vboard
