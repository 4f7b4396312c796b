"""Builds V3 models from layer descriptions, placing every buffer automatically.

    b = ModelBuilder()
    x = b.kpu_input(320, 240, 3)
    y = b.conv(KpuConv(...main_out=True), x)          # y.main: the main-memory copy
    f = b.main(y.count * 4)
    b.add(Dequantize(count=y.count, scale=s, bias=z), in_address=y.main, out_address=f)
    b.output(f)
    data = b.build()

Buffers live from the layer that first names them to the layer that last names them (model
outputs forever). Outputs of a layer are placed before its inputs are released, so a layer never
overwrites its own input. Explicit KPU RAM addresses (KpuConv.in_addr/out_addr, kpu_input(addr=))
bypass the allocator and are the caller's responsibility.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .alloc import KpuRamAllocator, MainMemoryAllocator
from .conv import KpuConv
from .cpu_layers import Layer
from .layout import KPU_RAM_LINES, map_lines
from .model import KModelV3
from .writer import write_v3


@dataclass(eq=False)
class MainBuf:
    """A main-memory buffer of nbytes (allocated rounded up to 8)."""

    nbytes: int
    address: int | None = None


@dataclass(eq=False)
class KpuMap:
    """A width x height x channels uint8 map in KPU RAM."""

    width: int
    height: int
    channels: int
    address: int | None = None  # line
    main: MainBuf | None = None  # set by conv() when the layer also writes main memory

    @property
    def lines(self) -> int:
        return map_lines(self.width, self.height, self.channels)

    @property
    def count(self) -> int:
        return self.width * self.height * self.channels


@dataclass
class _Step:
    layer: Layer | KpuConv
    bindings: dict[str, object]  # field -> MainBuf | KpuMap | list[MainBuf]


class ModelBuilder:
    def __init__(self, eight_bit: bool = True) -> None:
        self.eight_bit = eight_bit
        self._steps: list[_Step] = []
        self._inputs: list[MainBuf | KpuMap] = []
        self._outputs: list[tuple[MainBuf, int | None]] = []

    # -- declaring buffers and layers ----------------------------------------------------------
    def kpu_input(self, width: int, height: int, channels: int,
                  addr: int | None = None) -> KpuMap:
        """The model input as the first conv reads it (placed before layer 0)."""
        m = KpuMap(width, height, channels, addr)
        self._inputs.append(m)
        return m

    def main_input(self, nbytes: int) -> MainBuf:
        """A main-memory model input (e.g. the f32 vector of a first FULLY_CONNECTED)."""
        buf = MainBuf(nbytes)
        self._inputs.append(buf)
        return buf

    def main(self, nbytes: int) -> MainBuf:
        """A main-memory buffer, placed at the first layer that names it."""
        return MainBuf(nbytes)

    def kpu_map(self, width: int, height: int, channels: int) -> KpuMap:
        """A KPU RAM map written by a CPU layer (K210_UPLOAD, K210_ADD_PADDING)."""
        return KpuMap(width, height, channels)

    def conv(self, conv: KpuConv, x: KpuMap) -> KpuMap:
        conv.check()
        if (x.width, x.height, x.channels) != (conv.in_w, conv.in_h, conv.ic):
            raise ValueError("the conv input map does not match the layer's input size")
        if conv.eight_bit != self.eight_bit:
            raise ValueError("weight width does not match the model's 8/16-bit mode")
        y = KpuMap(conv.out_w, conv.out_h, conv.oc, conv.out_addr)
        bindings: dict[str, object] = {"in": x, "out": y}
        if conv.main_out:
            y.main = MainBuf(y.count, conv.main_out_address)
            bindings["main"] = y.main
        if conv.in_addr is not None and x.address is None:
            x.address = conv.in_addr
        self._steps.append(_Step(conv, bindings))
        return y

    def add(self, layer: Layer, **bindings: object) -> Layer:
        """A CPU layer; each keyword names an address field and the buffer it refers to
        (a list of MainBuf for Concat.inputs)."""
        for name in bindings:
            if not hasattr(layer, name):
                raise ValueError(f"{type(layer).__name__} has no field {name}")
        self._steps.append(_Step(layer, dict(bindings)))
        return layer

    def output(self, buf: MainBuf, size: int | None = None) -> None:
        """Declares a model output (size defaults to the buffer's byte count)."""
        self._outputs.append((buf, size))

    # -- placing and writing --------------------------------------------------------------------
    def build_model(self) -> KModelV3:
        kpu, main = KpuRamAllocator(), MainMemoryAllocator()
        owned: dict[int, tuple[MainBuf | KpuMap, bool]] = {}  # id -> (buffer, auto-placed)
        last_use = self._last_uses()

        def place(buf: MainBuf | KpuMap) -> None:
            if id(buf) in owned:
                return
            auto = buf.address is None
            if auto:
                buf.address = kpu.alloc(buf.lines) if isinstance(buf, KpuMap) else main.alloc(
                    buf.nbytes)
            owned[id(buf)] = (buf, auto)

        for buf in self._inputs:
            place(buf)
        for i, step in enumerate(self._steps):
            for buf in _buffers(step.bindings):
                place(buf)
            for buf in _buffers(step.bindings):
                if last_use.get(id(buf)) == i and owned[id(buf)][1]:
                    alloc = kpu if isinstance(buf, KpuMap) else main
                    alloc.free(buf.address)  # type: ignore[arg-type]
                    owned[id(buf)] = (buf, False)

        layers = [self._emit(step) for step in self._steps]
        lowest = min([kpu.lowest_line] + [b.address for b, _ in owned.values()
                                          if isinstance(b, KpuMap) and b.address is not None])
        main_end = max([main.usage] + [b.address + main.rounded(b.nbytes)
                                       for b, _ in owned.values()
                                       if isinstance(b, MainBuf) and b.address is not None])
        outputs = [(b.address, b.nbytes if s is None else s) for b, s in self._outputs]
        return KModelV3(layers, outputs, main_end, min(lowest, KPU_RAM_LINES),
                        flags=1 if self.eight_bit else 0)

    def build(self, full_padding: bool = True) -> bytes:
        return write_v3(self.build_model(), full_padding)

    def _last_uses(self) -> dict[int, int]:
        last: dict[int, int] = {}
        for i, step in enumerate(self._steps):
            for buf in _buffers(step.bindings):
                last[id(buf)] = i
        for buf, _ in self._outputs:
            last[id(buf)] = len(self._steps)  # never released
        return last

    @staticmethod
    def _emit(step: _Step) -> Layer:
        b = step.bindings
        if isinstance(step.layer, KpuConv):
            main = b.get("main")
            return step.layer.to_layer(b["in"].address, b["out"].address,  # type: ignore[attr-defined]
                                       main.address if main is not None else None)  # type: ignore[attr-defined]
        changes: dict[str, object] = {}
        for name, buf in b.items():
            if isinstance(buf, list):
                changes[name] = [(x.address, MainMemoryAllocator.rounded(x.nbytes)) for x in buf]
            else:
                changes[name] = buf.address  # type: ignore[attr-defined]
        return dataclasses.replace(step.layer, **changes)  # type: ignore[type-var]


def _buffers(bindings: dict[str, object]) -> list[MainBuf | KpuMap]:
    out: list[MainBuf | KpuMap] = []
    for value in bindings.values():
        items = value if isinstance(value, list) else [value]
        out += [x for x in items if isinstance(x, (MainBuf, KpuMap))]
    return out
