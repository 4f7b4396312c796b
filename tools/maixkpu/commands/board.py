"""`maixkpu exec CODE`, `maixkpu exec --file SCRIPT.py` (also `maixkpu run-script SCRIPT.py`):
code on a board's MicroPython REPL. (`maixkpu run` is taken: it runs a kmodel on the host.)

With --port the board on that serial device / URL; without it a fresh virtual board.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_FAILED = 1


def add_board_options(parser: argparse.ArgumentParser) -> None:
    """--port, --board, --baud, --timeout (shared by the board commands)."""
    from maixkpu.board.profiles import BOARD_TYPES, DEFAULT_BOARD

    parser.add_argument("--port", "-p",
                        help="serial device or pyserial URL (rfc2217://, socket://); "
                             "default: a virtual board started for this command")
    parser.add_argument("--board", "-B", default=DEFAULT_BOARD, choices=sorted(BOARD_TYPES),
                        help=f"board type: reset wiring and baud rates (default {DEFAULT_BOARD})")
    parser.add_argument("--baud", type=int, help="REPL baud rate (default: the board's, 115200)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds the code may run before it is stopped (default 60)")


def _run_code(args: argparse.Namespace, code: str) -> int:
    from maixkpu.board import BoardError, BoardTimeout
    from maixkpu.board.jobs import open_board

    try:
        with open_board(args.port, args.board, args.baud, timeout=args.timeout) as board:
            out, err = board.exec_raw(code)
    except BoardTimeout as exc:
        sys.stdout.write(exc.stdout)
        print(f"maixkpu {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BoardError as exc:
        print(f"maixkpu {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(out)
    if err:
        sys.stderr.write(err)
        return EXIT_FAILED
    return 0


def cmd_exec(args: argparse.Namespace) -> int:
    if (args.code is None) == (args.file is None):
        print("maixkpu exec: give CODE or --file SCRIPT.py (one of them)", file=sys.stderr)
        return 2
    if args.file is not None:
        return _run_code(args, Path(args.file).read_text(encoding="utf-8"))
    return _run_code(args, args.code)


def cmd_run(args: argparse.Namespace) -> int:
    return _run_code(args, Path(args.script).read_text(encoding="utf-8"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exec", help="run Python code on a board (virtual without --port)",
                       description="Run CODE in the board's raw REPL and print its output; "
                                   "exit 1 when it raises (traceback on stderr) or times out.")
    p.add_argument("code", nargs="?")
    p.add_argument("--file", "-f", metavar="SCRIPT.py", help="run this local script instead")
    add_board_options(p)
    p.set_defaults(func=cmd_exec)

    p = sub.add_parser("run-script",
                       help="run a local .py script on a board (virtual without --port)",
                       description="Send SCRIPT to the board's raw REPL and print its output.")
    p.add_argument("script", metavar="SCRIPT.py")
    add_board_options(p)
    p.set_defaults(func=cmd_run)
