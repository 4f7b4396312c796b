"""`python -m maixkpu.kmodel FILE...`: print the header, outputs and layers of V3 kmodels."""
from __future__ import annotations

import sys
from pathlib import Path

from .reader import describe, read_v3


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m maixkpu.kmodel FILE.kmodel...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            print(f"{path}:\n{describe(read_v3(Path(path).read_bytes()))}")
        except (OSError, ValueError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
