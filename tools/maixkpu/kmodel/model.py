"""The in-memory form of a V3 kmodel: header values, outputs and layer bodies."""
from __future__ import annotations

from dataclasses import dataclass, field

from .cpu_layers import Layer

KMODEL_V3 = 3
HEADER_BYTES = 28
NO_KPU_MEMORY = 32768  # max_start_address when no KPU RAM is used


@dataclass
class KModelV3:
    """A V3 model. flags bit 0 = 8-bit weights. outputs: (main-memory offset, bytes)."""

    layers: list[Layer]
    outputs: list[tuple[int, int]]
    main_mem_usage: int
    max_start_address: int = NO_KPU_MEMORY
    flags: int = 1
    arch: int = 0
    version: int = KMODEL_V3
    # Filled by the reader: where each body sits in the file it came from.
    body_offsets: list[int] = field(default_factory=list)
    body_sizes: list[int] = field(default_factory=list)

    @property
    def eight_bit(self) -> bool:
        return bool(self.flags & 1)
