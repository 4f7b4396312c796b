"""`maixkpu vboard`: run a virtual Maix board until Ctrl-C and print where to connect."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any


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


def run(args: argparse.Namespace) -> int:
    from maixkpu.vboard import VirtualBoard

    for option, folder in (("--camera", args.camera), ("--fs", args.fs), ("--sd", args.sd)):
        if folder is not None and folder.exists() and not folder.is_dir():
            print(f"maixkpu vboard: error: {option} {folder} is not a folder", file=sys.stderr)
            return 2
    board = VirtualBoard(
        args.flash, profile=args.board,
        rfc2217_port=None if args.no_rfc2217 else args.rfc2217_port, pty=args.pty,
        fs_dir=args.fs, sd_dir=args.sd, camera_dir=args.camera, lcd_out_dir=args.lcd_out,
        line_rate=args.line_rate, boot_pin_low=args.isp, raw_paste=not args.no_raw_paste)
    if not board.rfc2217_url and not args.pty:
        print("maixkpu vboard: error: nothing to serve (--no-rfc2217 without --pty)",
              file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    board.start()
    try:
        print(f"virtual Maix board ({board.profile.name}), state: {board.state}")
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
