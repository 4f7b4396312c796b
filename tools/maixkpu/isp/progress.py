"""Progress display for flashing: a rich bar (bytes, rate, ETA) or nothing with quiet=True."""
from __future__ import annotations

import sys
from typing import Any


class FlashProgress:
    """Phases ("ISP", "write", "verify") each get a bar; `note` prints a line above them."""

    def __init__(self, quiet: bool = False, console: Any = None) -> None:
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None
        self._console = console
        if quiet:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        if self._console is None:
            self._console = Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("{task.description:<8}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), console=self._console,
            transient=False)

    def __enter__(self) -> FlashProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, label: str, total: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(label, total=total)

    def advance(self, nbytes: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, nbytes)

    def done(self) -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[-1]
            self._progress.update(self._task, completed=task.total)
            self._task = None

    def note(self, message: str) -> None:
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(message, highlight=False)

    def summary(self, message: str) -> None:
        """Final line; printed even with quiet=True."""
        if self._progress is not None:
            self._progress.console.print(message, highlight=False)
        else:
            print(message, file=sys.stderr)
