"""The `maixkpu` command line: sub-commands are discovered from the package maixkpu.commands.

Every module there defines register(sub), adding parsers with set_defaults(func=handler), where
handler(args) returns the exit code. Errors a user can cause (bad model, missing file, wrong
image size) are printed as one line on stderr with exit code 2, not as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from maixkpu import __version__, commands

EXIT_USAGE = 2


class UserError(Exception):
    """A problem with what the user asked for; the CLI prints the message and exits with 2."""


def _register_commands(sub: argparse._SubParsersAction) -> list[str]:
    problems = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{commands.__name__}.{info.name}")
        except Exception as exc:  # one broken command must not take the whole CLI down
            problems.append(f"command module {info.name!r} not available: {exc}")
            continue
        register = getattr(module, "register", None)
        if callable(register):
            register(sub)
    return problems


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    parser = argparse.ArgumentParser(
        prog="maixkpu",
        description="MaixKPU: K210 kmodel runtime, software KPU and Maix board tools.")
    parser.add_argument("--version", action="version", version=f"maixkpu {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    problems = _register_commands(sub)
    return parser, problems


def _friendly_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [UserError, FileNotFoundError, IsADirectoryError,
                                         PermissionError]
    try:
        from maixkpu.core import KpuError
    except ImportError:  # extension not built: commands that need it report that themselves
        pass
    else:
        errors.append(KpuError)
    return tuple(errors)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    name = getattr(exc, "status_name", None)
    code = getattr(exc, "maixpy_code", None)
    if name is not None:
        return f"{exc} ({name}, MaixPy code {code})"
    return str(exc)


def _is_core_extension(exc: ImportError) -> bool:
    path = str(exc.path or "")
    return exc.name in ("_core", "maixkpu._core") or "/_core." in path


def main(argv: Sequence[str] | None = None) -> int:
    parser, problems = build_parser()
    for problem in problems:  # a broken command module is a bug: say so, keep the others
        print(f"maixkpu: warning: {problem}", file=sys.stderr)
    args = parser.parse_args(list(argv) if argv is not None else None)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(func(args) or 0)
    except _friendly_errors() as exc:
        if args.debug:
            raise
        print(f"maixkpu {args.command}: error: {_describe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as exc:
        if not _is_core_extension(exc) or args.debug:
            raise
        print(f"maixkpu {args.command}: error: the C core extension cannot be loaded ({exc}); "
              "rebuild it with `make core`", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `maixkpu info x | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
