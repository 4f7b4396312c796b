"""The board's file system: mount points (`/flash`, optionally `/sd`) backed by host folders.

Board paths are absolute or relative to the board's cwd (`/flash` after boot, as on MaixPy).
Everything is resolved inside a mount; `..` cannot leave it. Errors are MicroPython-style
`OSError(errno)` with the number as the only argument, which prints as `OSError: [Errno 2]
ENOENT` on the board (what mpremote parses).
"""
from __future__ import annotations

import errno
import os
import posixpath
import stat as stat_mod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

S_IFDIR = 0x4000
S_IFREG = 0x8000


def _oserror(code: int) -> OSError:
    return OSError(code)


class BoardFs:
    """Mount table and cwd of one board. `mounts` maps '/flash' style names to host folders."""

    def __init__(self, mounts: dict[str, Path], cwd: str = "/flash") -> None:
        for name in mounts:
            if not name.startswith("/") or name.count("/") != 1 or len(name) < 2:
                raise ValueError(f"mount point must look like '/name': {name!r}")
        self.mounts = {name: Path(path) for name, path in mounts.items()}
        for path in self.mounts.values():
            path.mkdir(parents=True, exist_ok=True)
        self.cwd = cwd if cwd in self.mounts else "/"

    # -- paths -----------------------------------------------------------------------------------
    def absolute(self, path: str) -> str:
        """The normalised absolute board path of `path`."""
        if not isinstance(path, str):
            raise TypeError("can't convert path to str")
        joined = path if path.startswith("/") else posixpath.join(self.cwd, path)
        norm = posixpath.normpath(joined)
        return "/" if norm in ("/", "//") else norm

    def host_path(self, path: str) -> Path | None:
        """Host path for a board path; None for the root '/'. ENOENT outside every mount."""
        board = self.absolute(path)
        if board == "/":
            return None
        parts = board.split("/")
        mount = "/" + parts[1]
        if mount not in self.mounts:
            raise _oserror(errno.ENOENT)
        return self.mounts[mount].joinpath(*parts[2:])

    # -- os module operations --------------------------------------------------------------------
    def stat(self, path: str) -> tuple[int, ...]:
        host = self.host_path(path)
        if host is None:
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        try:
            st = host.stat()
        except FileNotFoundError:
            raise _oserror(errno.ENOENT) from None
        mode = S_IFDIR if stat_mod.S_ISDIR(st.st_mode) else S_IFREG
        size = 0 if mode == S_IFDIR else st.st_size
        mtime = int(st.st_mtime)
        return (mode, 0, 0, 0, 0, 0, size, mtime, mtime, mtime)

    def ilistdir(self, path: str = "") -> Iterator[tuple[str, int, int, int]]:
        for name in self.listdir(path):
            host = self.host_path(posixpath.join(self.absolute(path or "."), name))
            if host is None or host.is_dir():
                yield (name, S_IFDIR, 0, 0)
            else:
                yield (name, S_IFREG, 0, host.stat().st_size)

    def listdir(self, path: str = "") -> list[str]:
        host = self.host_path(path or ".")
        if host is None:
            return sorted(name[1:] for name in self.mounts)
        if not host.exists():
            raise _oserror(errno.ENOENT)
        if not host.is_dir():
            raise _oserror(errno.ENOTDIR)
        return sorted(p.name for p in host.iterdir())

    def mkdir(self, path: str) -> None:
        host = self._inside_mount(path)
        try:
            host.mkdir()
        except FileExistsError:
            raise _oserror(errno.EEXIST) from None
        except FileNotFoundError:
            raise _oserror(errno.ENOENT) from None

    def rmdir(self, path: str) -> None:
        host = self._inside_mount(path)
        if not host.exists():
            raise _oserror(errno.ENOENT)
        if not host.is_dir():
            raise _oserror(errno.ENOTDIR)
        try:
            host.rmdir()
        except OSError:
            raise _oserror(errno.EACCES) from None  # not empty

    def remove(self, path: str) -> None:
        host = self._inside_mount(path)
        if not host.exists():
            raise _oserror(errno.ENOENT)
        if host.is_dir():
            raise _oserror(errno.EISDIR)
        host.unlink()

    def rename(self, old: str, new: str) -> None:
        src, dst = self._inside_mount(old), self._inside_mount(new)
        if not src.exists():
            raise _oserror(errno.ENOENT)
        os.replace(src, dst)

    def chdir(self, path: str) -> None:
        board = self.absolute(path)
        host = self.host_path(board)
        if host is not None and not host.is_dir():
            raise _oserror(errno.ENOENT)
        self.cwd = board

    def getcwd(self) -> str:
        return self.cwd

    def statvfs(self, path: str) -> tuple[int, ...]:
        host = self.host_path(path) or next(iter(self.mounts.values()))
        st = os.statvfs(host)
        return (st.f_bsize, st.f_frsize, st.f_blocks, st.f_bfree, st.f_bavail,
                st.f_files, st.f_ffree, st.f_favail, st.f_flag, st.f_namemax)

    def open(self, path: str, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        host = self._inside_mount(path)
        if host.is_dir():
            raise _oserror(errno.EISDIR)
        if not host.parent.is_dir():
            raise _oserror(errno.ENOENT)
        try:
            return open(host, mode, *args, **kwargs)  # noqa: SIM115 - the caller owns it
        except FileNotFoundError:
            raise _oserror(errno.ENOENT) from None
        except PermissionError:
            raise _oserror(errno.EACCES) from None

    def _inside_mount(self, path: str) -> Path:
        host = self.host_path(path)
        if host is None:
            raise _oserror(errno.EPERM)  # the root itself is not a writable folder
        return host
