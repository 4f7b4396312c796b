"""The KPU module of a board, driven from the host: load, YOLOv2, feature maps, netinfo, memtest.

Every call runs MicroPython code on the board (helpers installed once per VM) and brings the
result back as JSON. The helpers work on MaixPy (inputs are `image.Image`s with pix_ai, fmap
gives an Image) and on KPU builds without `image` (inputs are planar byte buffers, fmap gives a
memoryview). Probabilities come back as float32 bit patterns, so they compare exactly.
"""
from __future__ import annotations

import re
import struct
from typing import Any

from maixkpu.board.board import Board
from maixkpu.board.models import DetectorConfig

HELPERS = """
import KPU as kpu
try:
    import ubinascii as _hil_b
except ImportError:
    import binascii as _hil_b
try:
    import uhashlib as _hil_h
except ImportError:
    import hashlib as _hil_h
try:
    import ustruct as _hil_s
except ImportError:
    import struct as _hil_s

def _hil_plane(m):
    if hasattr(m, 'to_bytes'):
        return bytes(m.to_bytes())
    return bytes(m)

def _hil_detect(net, inp):
    found = kpu.run_yolo2(net, inp) or []
    return [[o.x(), o.y(), o.w(), o.h(), o.classid(),
             _hil_b.hexlify(_hil_s.pack('<f', o.value())).decode()] for o in found]

def _hil_fmap_hashes(net, inp, layer):
    fm = kpu.forward(net, inp, layer)
    w, h, ch = fm.w(), fm.h(), fm.ch()
    hs = [_hil_b.hexlify(_hil_h.sha256(_hil_plane(kpu.fmap(fm, c))).digest()).decode()
          for c in range(ch)]
    kpu.fmap_free(fm)
    return {'w': w, 'h': h, 'ch': ch, 'hashes': hs}

def _hil_fmap_bytes(net, inp, layer):
    global _hil_fm_data
    fm = kpu.forward(net, inp, layer)
    w, h, ch = fm.w(), fm.h(), fm.ch()
    _hil_fm_data = bytearray(w * h * ch)
    for c in range(ch):
        _hil_fm_data[c * w * h:(c + 1) * w * h] = _hil_plane(kpu.fmap(fm, c))[:w * h]
    kpu.fmap_free(fm)
    return [w, h, ch]

def _hil_netinfo(net):
    return [[i.index(), i.type(), i.wi(), i.hi(), i.wo(), i.ho(), i.chi(), i.cho(), i.dw(),
             i.kernel_type(), i.pool_type(), i.para_size()] for i in kpu.netinfo(net)]
_hil_kpu_ready = True
"""
NETINFO_FIELDS = ("index", "type", "wi", "hi", "wo", "ho", "chi", "cho", "dw", "kernel_type",
                  "pool_type", "para_size")
_FREE_SYS = re.compile(r"free sys heap memory\s*:\s*(\d+)\s*KB")


def _value(hex_text: str) -> float:
    return float(struct.unpack("<f", bytes.fromhex(hex_text))[0])


class RemoteKpu:
    """`kpu` on `board`; `net` names the board global holding the loaded model."""

    def __init__(self, board: Board, net: str = "net") -> None:
        self.board = board
        self.net = net

    def install(self) -> None:
        """Define the helpers (again after a soft reset)."""
        ready = self.board.eval_json("'_hil_kpu_ready' in globals()")
        if not ready:
            self.board.exec(HELPERS)

    def load(self, address_or_path: int | str, timeout: float | None = None) -> None:
        self.install()
        self.board.exec(f"{self.net} = kpu.load({address_or_path!r})", timeout)

    def init_yolo2(self, config: DetectorConfig) -> None:
        anchors = tuple(float(a) for a in config.anchors)
        self.board.exec(f"kpu.init_yolo2({self.net}, {config.threshold!r}, {config.nms!r}, "
                        f"{config.anchor_num}, {anchors!r})")

    def detect(self, input_name: str, timeout: float | None = None) -> list[list[Any]]:
        """[x, y, w, h, classid, value] per detection, in the board's order."""
        rows = self.board.eval_json(f"_hil_detect({self.net}, {input_name})", timeout)
        return [[*row[:5], _value(row[5])] for row in rows]

    def fmap_hashes(self, input_name: str, layer: int,
                    timeout: float | None = None) -> dict[str, Any]:
        return dict(self.board.eval_json(
            f"_hil_fmap_hashes({self.net}, {input_name}, {int(layer)})", timeout))

    def fmap_tensor(self, input_name: str, layer: int, timeout: float | None = None) -> Any:
        """Layer `layer`'s map as a (c, h, w) uint8 array, every byte from the board."""
        import numpy as np

        from maixkpu.board.transfer import read_bytes

        w, h, ch = self.board.eval_json(
            f"_hil_fmap_bytes({self.net}, {input_name}, {int(layer)})", timeout)
        data = read_bytes(self.board, "_hil_fm_data")
        self.board.exec("del _hil_fm_data")
        return np.frombuffer(data, dtype=np.uint8).reshape(ch, h, w)

    def netinfo(self) -> list[dict[str, int]]:
        rows = self.board.eval_json(f"_hil_netinfo({self.net})")
        return [dict(zip(NETINFO_FIELDS, (int(v) for v in row))) for row in rows]

    def memtest(self) -> str:
        """The text kpu.memtest() prints."""
        self.install()
        return self.board.exec("kpu.memtest()")

    def free_sys_heap_kb(self) -> int:
        match = _FREE_SYS.search(self.memtest())
        if match is None:
            raise ValueError("kpu.memtest() printed no 'free sys heap memory' line")
        return int(match.group(1))

    def deinit(self) -> None:
        self.board.exec(f"kpu.deinit({self.net})\ndel {self.net}")
