"""`maixkpu flash PKG.kfpkg|FIRMWARE.bin --port URL`: write a K210 board's flash over ISP."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maixkpu.isp import bootimage
from maixkpu.isp.reset import BOARD_NAMES

EXIT_FAILED = 1
EXIT_USAGE = 2


class InputError(Exception):
    pass


def isp_wiring(board: str) -> str:
    """The ISP reset wiring for --board: a wiring name as kflash has them, or a board type of
    the HIL harness (maix_bit, maix_go, ..., generic), as `maixkpu exec --board` takes."""
    from maixkpu.board.profiles import BOARD_TYPES

    if board in BOARD_NAMES or board == "none":
        return board
    return BOARD_TYPES[board].isp_board


def load_regions(path: Path, force: bool, flash_size: int) -> list[tuple[int, bytes]]:
    """(address, bytes) to write: a kfpkg's entries, or a .bin as the bootable image at 0."""
    from maixkpu.kfpkg import KfpkgError, read_kfpkg
    from maixkpu.kfpkg_check import ERROR, verify

    try:
        head = path.read_bytes()[:4]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head.startswith(b"\x7fELF"):
        raise InputError(f"{path} is an ELF file; flash the .bin made from it")
    if not head.startswith(b"PK"):
        return [(0, bootimage.wrap(path.read_bytes()))]
    try:
        pkg = read_kfpkg(path)
    except KfpkgError as exc:
        raise InputError(str(exc)) from exc
    errors = [p for p in verify(pkg, flash_size) if p.severity == ERROR]
    if errors and not force:
        lines = "\n  ".join(p.message for p in errors)
        raise InputError(f"{path} has problems (use --force to flash anyway):\n  {lines}")
    return pkg.regions()


def cmd_flash(args: argparse.Namespace) -> int:
    import serial

    from maixkpu.isp.flasher import Flasher, FlashError, FlashOptions, open_port
    from maixkpu.isp.journal import ResumeJournal, default_path, plan_key
    from maixkpu.isp.progress import FlashProgress
    from maixkpu.isp.stage2 import Stage2Error

    if not args.port:
        return _flash_virtual_board(args)
    try:
        regions = load_regions(Path(args.file), args.force, args.flash_size)
    except InputError as exc:
        print(f"maixkpu flash: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    journal = ResumeJournal(default_path(), plan_key(regions))
    options = FlashOptions(board=isp_wiring(args.board), baudrate=args.baud,
                           verify=not args.no_verify,
                           journal=journal, resume=args.resume,
                           require_verify=args.require_verify,
                           skip_unchanged=not args.rewrite_all, retries=args.retries,
                           timeout=args.timeout, slow=args.slow, reboot=not args.no_reboot)
    progress = FlashProgress(quiet=args.quiet)
    try:
        port = open_port(args.port)
        try:
            with progress:
                report = Flasher(port, options, progress).run(regions)
        finally:
            port.close()
    except (FlashError, Stage2Error) as exc:
        print(f"maixkpu flash: FAILED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except serial.SerialException as exc:  # the port went away mid-run (unplugged, closed)
        print(f"maixkpu flash: FAILED: serial connection lost: {exc}", file=sys.stderr)
        return EXIT_FAILED
    progress.summary(report.summary())
    if report.verified is None and not args.no_verify and not args.quiet:
        print("maixkpu flash: warning: written but not read back (real K210 boards with "
              "kflash's stage-2 cannot be verified)", file=sys.stderr)
    return 0


def _flash_virtual_board(args: argparse.Namespace) -> int:
    """No --port: flash a fresh virtual board (erased flash) and report; it stops afterwards."""
    from maixkpu.board.virtual import start_virtual_board

    url, vboard = start_virtual_board(firmware=False)
    try:
        print(f"maixkpu flash: no --port: flashing a virtual board at {url}", file=sys.stderr)
        args.port = url
        return cmd_flash(args)
    finally:
        vboard.stop()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flash", help="write a .kfpkg or firmware .bin to a K210 board over ISP",
                       description=__doc__)
    p.add_argument("file", metavar="PKG.kfpkg|FIRMWARE.bin")
    p.add_argument("--port", "-p", help="serial device or pyserial URL (rfc2217://, socket://); "
                                          "default: a virtual board started for this run")
    from maixkpu.board.profiles import BOARD_TYPES

    p.add_argument("--board", "-B", default="auto",
                   choices=BOARD_NAMES + ("none",) + tuple(sorted(set(BOARD_TYPES) -
                                                                  set(BOARD_NAMES))),
                   help="reset wiring (default auto; none: no DTR/RTS reset) or a board type "
                        "(maix_bit, maix_go, ...: its wiring)")
    p.add_argument("--baud", "-b", type=int, default=115200, help="stage-2 baud rate")
    p.add_argument("--quiet", "-q", action="store_true", help="only the summary line")
    p.add_argument("--no-verify", action="store_true", help="do not hash-check written data")
    p.add_argument("--require-verify", action="store_true",
                   help="fail unless the board can verify (only virtual boards can)")
    p.add_argument("--rewrite-all", action="store_true",
                   help="write every chunk even if the board already holds it")
    p.add_argument("--resume", action="store_true",
                   help="skip chunks an interrupted run of the same file already wrote (boards "
                        "that can hash their flash skip those anyway)")
    p.add_argument("--slow", "-S", action="store_true", help="keep the boot ROM at 115200")
    p.add_argument("--no-reboot", action="store_true", help="stay in the ISP afterwards")
    p.add_argument("--force", action="store_true", help="flash a kfpkg despite verify errors")
    p.add_argument("--retries", type=int, default=8, help="resends per request (default 8)")
    p.add_argument("--timeout", type=float, default=3.0, help="reply timeout in s (default 3)")
    p.add_argument("--flash-size", type=lambda s: int(s, 0), default=16 * 1024 * 1024)
    p.set_defaults(func=cmd_flash)
