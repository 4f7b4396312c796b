"""Resume journal: which chunks of a flash plan a board has acknowledged.

Real boards cannot be asked what their flash holds (kflash's stage-2 has no read command),
so after an interrupted run the only record of what was written is ours. The flasher marks
every acknowledged chunk here and clears the entry when a run completes; `--resume` skips
the marked chunks. This trusts that nothing else wrote the board's flash in between, which
is why it is opt-in; boards that can hash their flash resume by comparing hashes instead.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def default_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "maixkpu" / "flash-journal.json"


def plan_key(regions: list[tuple[int, bytes]]) -> str:
    """Identifies what is being flashed: addresses and contents of all regions."""
    h = hashlib.sha256()
    for address, data in regions:
        h.update(address.to_bytes(8, "little") + hashlib.sha256(data).digest())
    return h.hexdigest()


class ResumeJournal:
    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._done: set[tuple[int, int]] = set()
        for address, length in self._load().get(key, []):
            self._done.add((int(address), int(length)))

    def _load(self) -> dict[str, list[list[int]]]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def _save(self, entries: list[list[int]] | None) -> None:
        doc = self._load()
        if entries is None:
            doc.pop(self.key, None)
        else:
            doc[self.key] = entries
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, self.path)  # never leave a half-written journal behind

    def is_done(self, address: int, length: int) -> bool:
        return (address, length) in self._done

    def mark(self, address: int, length: int) -> None:
        self._done.add((address, length))
        self._save(sorted([a, n] for a, n in self._done))

    def clear(self) -> None:
        self._done.clear()
        self._save(None)
