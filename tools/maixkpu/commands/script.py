"""`maixkpu script demo.py`: run an unmodified MaixPy script on the PC with the emulated KPU,
image, sensor and lcd modules (maixkpu.maixpy.runner)."""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from maixkpu.cli import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("script", help="run a MaixPy script on the PC (KPU, image, sensor, lcd)",
                       description="Run a MaixPy script with the emulated KPU/image/sensor/lcd "
                       "modules. The flash holds the given kfpkg files, the camera reads "
                       "--camera and the LCD writes PNG files to --lcd-out. Camera loops end "
                       "after --frames snapshots.")
    p.add_argument("script", type=Path, help="the MaixPy script (.py)")
    p.add_argument("--kfpkg", type=Path, action="append", default=[], metavar="PKG",
                   help="write this kfpkg into the flash (repeatable)")
    p.add_argument("--camera", type=Path, metavar="PATH",
                   help="picture, or folder of pictures, the camera returns")
    p.add_argument("--frames", type=int, metavar="N",
                   help="stop the script at the snapshot after N frames")
    p.add_argument("--lcd-out", type=Path, metavar="DIR", help="write LCD frames as PNG here")
    p.add_argument("--lcd-every", type=int, default=0, metavar="N",
                   help="also keep every Nth displayed frame as lcd_NNNNN.png")
    p.set_defaults(func=cmd_script)


def cmd_script(args: argparse.Namespace) -> int:
    from maixkpu.maixpy.runner import ScriptOptions, run_script

    if not args.script.is_file():
        raise UserError(f"{args.script}: no such script")
    for pkg in args.kfpkg:
        if not pkg.is_file():
            raise UserError(f"{pkg}: no such kfpkg")
    if args.camera is not None and not args.camera.exists():
        raise UserError(f"{args.camera}: no such camera source")
    if args.frames is not None and args.frames < 0:
        raise UserError("--frames must be >= 0")
    options = ScriptOptions(kfpkgs=list(args.kfpkg), camera=args.camera, frames=args.frames,
                            lcd_out=args.lcd_out, lcd_every=args.lcd_every)
    try:
        result = run_script(args.script, options)
    except Exception:  # the script's own error: show it as MicroPython would, exit 1
        traceback.print_exc()
        return 1
    how = "stopped after the frame budget" if result.stopped else "finished"
    print(f"script {how}: {result.snapshots} snapshots, {result.displayed} LCD frames",
          file=sys.stderr)
    return 0
