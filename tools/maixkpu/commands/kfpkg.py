"""`maixkpu kfpkg pack|inspect|unpack|verify`: build and check kflash packages."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maixkpu.kfpkg import (
    COMPRESSIONS,
    FLASH_SIZE,
    KfpkgError,
    PackItem,
    load_layout,
    pack,
    parse_item_spec,
    read_kfpkg,
    unpack,
    write_kfpkg,
)
from maixkpu.kfpkg_check import ERROR, Problem, inspect_entries, verify

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.severity == ERROR else "yellow"
        _console().print(f"[{colour}]{problem.severity}[/{colour}]: {problem.message}",
                         highlight=False)


def _console():  # noqa: ANN202 - rich's Console, imported lazily
    from rich.console import Console

    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)


def _errors(problems: list[Problem]) -> int:
    return sum(1 for p in problems if p.severity == ERROR)


def cmd_pack(args: argparse.Namespace) -> int:
    items: list[PackItem] = []
    try:
        if args.layout:
            items += load_layout(args.layout)
        if args.firmware:
            items.append(PackItem(Path(args.firmware), 0, True))
        items += [parse_item_spec(spec) for spec in args.files]
        if not items:
            print("maixkpu kfpkg pack: nothing to pack (give FILE@ADDR, --firmware or --layout)",
                  file=sys.stderr)
            return EXIT_USAGE
        pkg = pack(items)
    except KfpkgError as exc:
        print(f"maixkpu kfpkg pack: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    problems = verify(pkg, args.flash_size)
    _print_problems(problems)
    if _errors(problems) and not args.force:
        print("maixkpu kfpkg pack: not written (fix the errors or use --force)", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        write_kfpkg(args.output, pkg, args.compression)
    except KfpkgError as exc:
        print(f"maixkpu kfpkg pack: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {args.output}: {len(pkg.entries)} file(s)")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from rich.table import Table

    try:
        pkg = read_kfpkg(args.package)
    except KfpkgError as exc:
        print(f"maixkpu kfpkg inspect: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    table = Table(title=f"{args.package} (flash-list version {pkg.version or '-'})")
    for column in ("#", "file", "address", "size", "end", "kind", "details", "sha256"):
        table.add_column(column, justify="right" if column in ("size", "#") else "left")
    for info in inspect_entries(pkg):
        details = info.firmware_check or ""
        if info.model is not None:
            m = info.model
            order = "big-endian" if m.big_endian else "little-endian"
            count = {3: "layers", 4: "nodes", 5: "modules"}.get(m.version, "items")
            details = f"V{m.version} {order}, {m.layers} {count}"
            details += f"; INVALID: {m.problem}" if m.problem else ""
        if info.endian is not None:
            details += ("; " if details else "") + f"declared {info.endian}-endian"
        digest = info.sha256[:16] if info.sha256 and not args.full_hash else (info.sha256 or "-")
        table.add_row(str(info.index), info.name, f"0x{info.address:06x}", str(info.size),
                      f"0x{info.end:06x}", info.kind, details, digest)
    console = _console()
    console.print(table)
    if pkg.extra_members:
        console.print(f"members not in flash-list.json: {', '.join(pkg.extra_members)}")
    return 0


def cmd_unpack(args: argparse.Namespace) -> int:
    try:
        written = unpack(args.package, args.directory)
        if args.image:
            Path(args.image).write_bytes(read_kfpkg(args.package).render(args.flash_size))
            written.append(Path(args.image))
    except KfpkgError as exc:
        print(f"maixkpu kfpkg unpack: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in written:
        print(path)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        pkg = read_kfpkg(args.package)
    except KfpkgError as exc:
        print(f"maixkpu kfpkg verify: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    problems = verify(pkg, args.flash_size)
    _print_problems(problems)
    errors = _errors(problems)
    if errors:
        print(f"{args.package}: {errors} error(s)", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"{args.package}: ok ({len(pkg.entries)} file(s), {len(problems)} warning(s))")
    return 0


def _size(text: str) -> int:
    return int(text, 0)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("kfpkg", help="build and check kfpkg flash packages",
                            description=__doc__)
    actions = parser.add_subparsers(dest="kfpkg_command", metavar="ACTION", required=True)

    p = actions.add_parser("pack", help="make a kfpkg from files at flash addresses")
    p.add_argument("files", nargs="*", metavar="FILE[@ADDR][:raw|:boot][:little|:big]",
                   help="file at a flash address (default 0); .bin at 0 becomes a bootable "
                        "image unless :raw; :boot forces the bootable header; :little / :big "
                        "declare a kmodel's byte order (flash-list.json endian)")
    p.add_argument("--firmware", metavar="BIN", help="firmware at 0 as a bootable image")
    p.add_argument("--layout", metavar="FILE", help="JSON or TOML (Python 3.11+) layout")
    p.add_argument("-o", "--output", required=True, help="output .kfpkg")
    p.add_argument("--compression", choices=sorted(COMPRESSIONS), default="deflate")
    p.add_argument("--force", action="store_true", help="write even when verify finds errors")
    p.add_argument("--flash-size", type=_size, default=FLASH_SIZE)
    p.set_defaults(func=cmd_pack)

    p = actions.add_parser("inspect", help="table of the package's entries")
    p.add_argument("package")
    p.add_argument("--full-hash", action="store_true", help="print whole SHA-256 digests")
    p.set_defaults(func=cmd_inspect)

    p = actions.add_parser("unpack", help="extract flash-list.json and the files")
    p.add_argument("package")
    p.add_argument("directory")
    p.add_argument("--image", metavar="FILE", help="also write the whole flash image")
    p.add_argument("--flash-size", type=_size, default=FLASH_SIZE)
    p.set_defaults(func=cmd_unpack)

    p = actions.add_parser("verify", help="list problems; exit 1 when there are errors")
    p.add_argument("package")
    p.add_argument("--flash-size", type=_size, default=FLASH_SIZE)
    p.set_defaults(func=cmd_verify)
