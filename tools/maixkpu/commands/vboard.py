"""`maixkpu vboard`: run a virtual Maix board until Ctrl-C and print where to connect."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maixkpu.vboard import FaultPlan
    from maixkpu.vboard.flash import FlashImage


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    from maixkpu.vboard.profiles import DEFAULT_PROFILE, PROFILES

    parser.add_argument("--flash", metavar="FILE", type=Path,
                        help="16 MiB flash image file, created erased if missing "
                             "(default: an erased flash in memory)")
    parser.add_argument("--rfc2217-port", metavar="N", type=int, default=0,
                        help="TCP port of the RFC 2217 server on 127.0.0.1 (0: a free port)")
    parser.add_argument("--no-rfc2217", action="store_true", help="serve no RFC 2217 port")
    parser.add_argument("--pty", action="store_true",
                        help="also serve a raw pty (no DTR/RTS: lines are ignored)")
    parser.add_argument("--board", metavar="PROFILE", default=DEFAULT_PROFILE,
                        choices=sorted(PROFILES),
                        help=f"DTR/RTS wiring of the boot pins (default {DEFAULT_PROFILE}; "
                             + ", ".join(sorted(PROFILES)) + ")")
    parser.add_argument("--fs", metavar="DIR", type=Path,
                        help="host folder behind the board's /flash (default: a temporary one)")
    parser.add_argument("--sd", metavar="DIR", type=Path, help="host folder behind /sd")
    parser.add_argument("--camera", metavar="DIR", type=Path,
                        help="folder of images that sensor.snapshot() returns")
    parser.add_argument("--lcd-out", metavar="DIR", type=Path,
                        help="folder where lcd.display() writes frames")
    parser.add_argument("--line-rate", action="store_true",
                        help="limit the line to the current baud rate (10 bits per byte)")
    parser.add_argument("--isp", action="store_true",
                        help="power on with BOOT held low (ISP mode; useful with --pty)")
    parser.add_argument("--no-raw-paste", action="store_true",
                        help="answer raw-paste requests like old MaixPy (unsupported)")
    preload = parser.add_argument_group("writing the flash before power-on (as kflash would)")
    preload.add_argument("--firmware", metavar="BIN", type=Path,
                         help="write BIN at 0 as the bootable image")
    preload.add_argument("--kfpkg", metavar="PKG", type=Path, action="append", default=[],
                         help="write every entry of a kfpkg (repeatable)")
    faults = parser.add_argument_group("fault injection (seeded)")
    faults.add_argument("--seed", type=int, default=0)
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P",
                        help="board->host bytes lost with probability P")
    faults.add_argument("--corrupt-rate", type=float, default=0.0, metavar="P",
                        help="board->host bytes with flipped bits with probability P")
    faults.add_argument("--rx-drop-rate", type=float, default=0.0, metavar="P",
                        help="host->board bytes lost with probability P")
    faults.add_argument("--rx-corrupt-rate", type=float, default=0.0, metavar="P",
                        help="host->board bytes with flipped bits with probability P")
    faults.add_argument("--stop-after", type=int, metavar="N",
                        help="hang (deaf and mute until a reset) after N bytes from the host")
    faults.add_argument("--reset-after", type=int, metavar="N",
                        help="reset once after N bytes from the host")


def _preload(flash: FlashImage, args: argparse.Namespace) -> None:
    """Write --firmware / --kfpkg into the flash the way kflash lays them out."""
    from maixkpu.isp import bootimage

    if args.firmware is not None:
        flash.overwrite(0, bootimage.wrap(args.firmware.read_bytes()))
    if args.kfpkg:
        from maixkpu.kfpkg import read_kfpkg

        for package in args.kfpkg:
            for address, data in read_kfpkg(package).regions():
                flash.overwrite(address, data)


def run(args: argparse.Namespace) -> int:
    from maixkpu.kfpkg import KfpkgError
    from maixkpu.vboard import FaultPlan as Faults
    from maixkpu.vboard.flash import FlashImage as Flash

    if args.no_rfc2217 and not args.pty:
        print("maixkpu vboard: error: nothing to serve (--no-rfc2217 without --pty)",
              file=sys.stderr)
        return 2
    for option, folder in (("--camera", args.camera), ("--fs", args.fs), ("--sd", args.sd)):
        if folder is not None and folder.exists() and not folder.is_dir():
            print(f"maixkpu vboard: error: {option} {folder} is not a folder", file=sys.stderr)
            return 2
    try:
        faults = Faults(seed=args.seed, drop_rate=args.drop_rate,
                           corrupt_rate=args.corrupt_rate, rx_drop_rate=args.rx_drop_rate,
                           rx_corrupt_rate=args.rx_corrupt_rate, stop_after=args.stop_after,
                           reset_after=args.reset_after)
    except ValueError as exc:
        print(f"maixkpu vboard: error: {exc}", file=sys.stderr)
        return 2
    flash = Flash(args.flash)
    try:
        try:
            _preload(flash, args)
        except KfpkgError as exc:
            print(f"maixkpu vboard: error: {exc}", file=sys.stderr)
            return 2
        return _serve(flash, faults, args)
    finally:
        flash.close()


def _serve(flash: FlashImage, faults: FaultPlan, args: argparse.Namespace) -> int:
    from maixkpu.vboard import VirtualBoard

    board = VirtualBoard(
        flash, profile=args.board, faults=faults,
        rfc2217_port=None if args.no_rfc2217 else args.rfc2217_port, pty=args.pty,
        fs_dir=args.fs, sd_dir=args.sd, camera_dir=args.camera, lcd_out_dir=args.lcd_out,
        line_rate=args.line_rate, boot_pin_low=args.isp, raw_paste=not args.no_raw_paste)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    board.start()
    try:
        print(f"virtual Maix board ({board.profile.name}), state: {board.state}")
        if board.state == "boot_error":
            print(f"  ({flash.last_boot_error}: flash a firmware with `maixkpu flash`, "
                  "kflash, or --firmware)", file=sys.stderr)
        for url in board.urls:
            print(url)
        print(f"/flash is {board.fs_dir}; Ctrl-C stops", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "vboard", help="run a virtual Maix board (RFC 2217 / pty)",
        description="Run a virtual Maix board: kflash and `maixkpu flash` can flash it, "
                    "mpremote can use its MicroPython REPL. Prints its URLs, runs until "
                    "Ctrl-C.")
    _add_arguments(parser)
    parser.set_defaults(func=run)
