"""Errors of the HIL harness: one root, `BoardError`, rewrapped at the serial boundary."""
from __future__ import annotations

import re

_LAST_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


class BoardError(Exception):
    """Code on the board failed, or the board could not be reached.

    For a remote exception `exc_type` is its name (``"ValueError"``), `remote_message` the text
    after it and `traceback` the whole MicroPython traceback; `stdout` is what the code printed
    before it failed.
    """

    def __init__(self, message: str, *, exc_type: str | None = None,
                 remote_message: str = "", traceback: str = "", stdout: str = "") -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.remote_message = remote_message
        self.traceback = traceback
        self.stdout = stdout

    @classmethod
    def from_traceback(cls, traceback: str, stdout: str = "") -> BoardError:
        """The error for a traceback printed by the board (its last line names the type)."""
        lines = [line for line in traceback.replace("\r\n", "\n").split("\n") if line.strip()]
        last = lines[-1].strip() if lines else ""
        match = _LAST_LINE.match(last)
        exc_type = match.group(1) if match else None
        message = (match.group(2) or "") if match else last
        return cls(f"board raised {last}" if last else "board raised an exception",
                   exc_type=exc_type, remote_message=message, traceback=traceback,
                   stdout=stdout)


class BoardTimeout(BoardError):
    """The code did not finish in time; it was interrupted and the board recovered."""


class BoardConnectionError(BoardError):
    """The serial port or the REPL could not be reached."""
