"""Free-list allocators for KPU RAM lines and main-memory bytes (spec section 1).

KPU RAM: like nncase v0.1, take the highest free block that fits and carve alternately from its
top and its bottom, so consecutive maps tend to sit at opposite ends. Main memory: first fit from
the bottom, sizes rounded up to 8 bytes; usage is the highest end ever handed out.
"""
from __future__ import annotations

from .layout import KPU_RAM_LINES


class OutOfMemory(ValueError):
    pass


class FreeList:
    """Blocks [start, end) of a space of `capacity` units (None: unbounded)."""

    def __init__(self, capacity: int | None) -> None:
        self.capacity = capacity
        end = capacity if capacity is not None else 1 << 62
        self.free: list[tuple[int, int]] = [(0, end)]
        self.used: dict[int, int] = {}
        self.low_water = capacity if capacity is not None else 0
        self.high_water = 0

    def take(self, start: int, size: int) -> int:
        """Marks [start, start + size) used; it must lie inside one free block."""
        for i, (lo, hi) in enumerate(self.free):
            if lo <= start and start + size <= hi:
                parts = [(lo, start), (start + size, hi)]
                self.free[i : i + 1] = [p for p in parts if p[1] > p[0]]
                self.used[start] = size
                self.low_water = min(self.low_water, start)
                self.high_water = max(self.high_water, start + size)
                return start
        raise OutOfMemory(f"[{start}, {start + size}) is not free")

    def release(self, start: int) -> None:
        size = self.used.pop(start)
        self.free.append((start, start + size))
        self.free.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in self.free:
            if merged and merged[-1][1] == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        self.free = merged


class KpuRamAllocator:
    """KPU RAM in 64-byte lines (0..32767)."""

    def __init__(self) -> None:
        self.space = FreeList(KPU_RAM_LINES)
        self._from_top = True

    def alloc(self, lines: int) -> int:
        fitting = [(lo, hi) for lo, hi in self.space.free if hi - lo >= lines]
        if not fitting:
            raise OutOfMemory(f"no {lines} free lines of KPU RAM")
        lo, hi = fitting[-1]
        start = hi - lines if self._from_top else lo
        self._from_top = not self._from_top
        return self.space.take(start, lines)

    def free(self, start: int) -> None:
        self.space.release(start)

    @property
    def lowest_line(self) -> int:
        """The header's max_start_address: the lowest line ever used (32768 if none)."""
        return self.space.low_water


class MainMemoryAllocator:
    """Main-memory bytes; every buffer is rounded up to 8 bytes."""

    def __init__(self) -> None:
        self.space = FreeList(None)

    @staticmethod
    def rounded(size: int) -> int:
        return max(8, -(-size // 8) * 8)

    def alloc(self, size: int) -> int:
        size = self.rounded(size)
        lo = next(lo for lo, hi in self.space.free if hi - lo >= size)
        return self.space.take(lo, size)

    def free(self, start: int) -> None:
        self.space.release(start)

    @property
    def usage(self) -> int:
        return self.space.high_water
