"""The objects MaixPy's ``KPU`` functions return (spec maixpy-kpu-api.md sections 3 and 5):
``kpu_yolo2`` (init_yolo2 arguments), ``kpu_yolo2_find`` (one detection), ``kpu_fmap`` (a
feature map with the buffer protocol) and ``kpu_netinfo_find`` (one netinfo row). Their fields
are zero-argument methods, as in MaixPy. ``kpu_net`` lives in ``kpu`` next to the C bridge.

``kpu_fmap`` holds a copy of the map taken when it was made (MaixPy's is a view into the model
that the next run overwrites): a map can then never outlive the memory it shows. It is an
``array.array`` of typecode 'B' or 'f', so ``bytes(fmap)`` and ``memoryview(fmap)`` work with
MaixPy's buffer typecode.
"""
from __future__ import annotations

import array
from collections.abc import Sequence
from typing import Any

import numpy as np

_STEP_ERROR = "only slices with step=1 (aka None) are supported"


def _f(value: float) -> str:
    """C's %f of a float32 value."""
    return f"{float(np.float32(value)):f}"


class kpu_yolo2:
    """init_yolo2's arguments: threshold(), nms_value(), anchor_number(), anchor()."""

    def __init__(self, threshold: float, nms_value: float, anchors: Sequence[float]) -> None:
        self._threshold = float(np.float32(threshold))
        self._nms = float(np.float32(nms_value))
        self._anchors = tuple(float(np.float32(a)) for a in anchors)

    def threshold(self) -> float:
        return self._threshold

    def nms_value(self) -> float:
        return self._nms

    def anchor_number(self) -> int:
        return len(self._anchors) // 2

    def anchor(self) -> tuple[float, ...]:
        return tuple(self._anchors)

    def __repr__(self) -> str:
        # MaixPy formats the anchors into a 300-byte buffer (299 characters and the NUL)
        anchors = ("(" + ", ".join(_f(a) for a in self._anchors) + ")")[:299]
        return (f'{{"threshold":{_f(self._threshold)}, "nms_value":{_f(self._nms)}, '
                f'"anchor_number":{self.anchor_number()}, "anchor":"{anchors}"}}')


class kpu_yolo2_find:
    """One detection: rect() and x() .. objnum(), coordinates in model-input pixels."""

    def __init__(self, x: int, y: int, w: int, h: int, value: float, classid: int, index: int,
                 objnum: int) -> None:
        self._rect = (int(x), int(y), int(w), int(h))
        self._value = float(np.float32(value))
        self._classid, self._index, self._objnum = int(classid), int(index), int(objnum)

    def rect(self) -> tuple[int, int, int, int]:
        return self._rect

    def x(self) -> int:
        return self._rect[0]

    def y(self) -> int:
        return self._rect[1]

    def w(self) -> int:
        return self._rect[2]

    def h(self) -> int:
        return self._rect[3]

    def value(self) -> float:
        return self._value

    def classid(self) -> int:
        return self._classid

    def index(self) -> int:
        return self._index

    def objnum(self) -> int:
        return self._objnum

    def __repr__(self) -> str:
        x, y, w, h = self._rect
        return (f'{{"x":{x}, "y":{y}, "w":{w}, "h":{h}, "value":{_f(self._value)}, '
                f'"classid":{self._classid}, "index":{self._index}, "objnum":{self._objnum}}}')


class kpu_netinfo_find:
    """One layer of netinfo(): index(), type(), wi() .. para_size()."""

    _FIELDS = ("index", "type", "wi", "hi", "wo", "ho", "chi", "cho", "dw", "kernel_type",
               "pool_type", "para_size")

    def __init__(self, values: dict[str, int], type_name: str) -> None:
        self._values = {k: int(values[k]) for k in self._FIELDS}
        self._type_name = type_name

    def _get(self, name: str) -> int:
        return self._values[name]

    def index(self) -> int:
        return self._get("index")

    def type(self) -> int:
        return self._get("type")

    def wi(self) -> int:
        return self._get("wi")

    def hi(self) -> int:
        return self._get("hi")

    def wo(self) -> int:
        return self._get("wo")

    def ho(self) -> int:
        return self._get("ho")

    def chi(self) -> int:
        return self._get("chi")

    def cho(self) -> int:
        return self._get("cho")

    def dw(self) -> int:
        return self._get("dw")

    def kernel_type(self) -> int:
        return self._get("kernel_type")

    def pool_type(self) -> int:
        return self._get("pool_type")

    def para_size(self) -> int:
        return self._get("para_size")

    def __repr__(self) -> str:
        v = self._values
        rest = ", ".join(f'"{k}":{v[k]}' for k in self._FIELDS[2:])
        return f'{{"index":{v["index"]}, "type":{self._type_name}, {rest}}}'


class kpu_fmap(array.array):
    """A feature map: size(), index(), w(), h(), ch(), typecode(), buffer protocol, subscript.

    Reading: an int index gives an int ('B') or float ('f'); a slice (step 1) gives a tuple.
    Writing: an int index, or a slice from a list of the same length or a scalar (fill).
    ``len()`` is refused as in MaixPy. A map with typecode '\\0' (layers MaixPy cannot read)
    keeps its bytes for the buffer protocol but refuses subscripts."""

    _net: Any
    _generation: int
    _freed: bool

    def __new__(cls, data: bytes, typecode: str, index: int, w: int, h: int, ch: int,
                net: Any = None, generation: int = 0) -> kpu_fmap:
        storage = "f" if typecode == "f" else "B"
        self = super().__new__(cls, storage, data)
        self._code, self._size = typecode, len(data)
        self._index, self._w, self._h, self._ch = int(index), int(w), int(h), int(ch)
        self._net, self._generation, self._freed = net, generation, False
        return self

    def size(self) -> int:
        return self._size

    def index(self, *args: Any) -> int:  # type: ignore[override]
        return self._index

    def w(self) -> int:
        return self._w

    def h(self) -> int:
        return self._h

    def ch(self) -> int:
        return self._ch

    def typecode(self) -> str:  # type: ignore[override]
        """A 1-character str (MaixPy crashes here: it passes the char as a pointer)."""
        return self._code

    def __len__(self) -> int:
        raise TypeError("object of type 'kpu_fmap' has no len()")

    def _readable(self, action: str) -> None:
        if self._code not in ("B", "f"):
            print(f"typecode don't support {action}!")
            raise TypeError("'kpu_fmap' object isn't subscriptable")

    def __getitem__(self, index: Any) -> Any:  # type: ignore[override]
        self._readable("read")
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise OSError(_STEP_ERROR)
            return tuple(super().__getitem__(index))
        return super().__getitem__(index)

    def __setitem__(self, index: Any, value: Any) -> None:  # type: ignore[override]
        self._readable("write")
        if not isinstance(index, slice):
            super().__setitem__(index, value)
            return
        if index.step not in (None, 1):
            raise OSError(_STEP_ERROR)
        start, stop, _ = index.indices(array.array.__len__(self))
        n = max(0, stop - start)
        if isinstance(value, list):
            if len(value) != n:
                raise OSError("cannot grow or shrink image")
            items = value
        else:
            items = [value] * n
        super().__setitem__(index, array.array(super().typecode, items))

    def tobytes_view(self) -> memoryview:
        """The raw bytes (host helper)."""
        return memoryview(self).cast("B")

    def __repr__(self) -> str:
        code = self._code if self._code else "\0"
        addr = id(self) & 0xFFFFFFFF
        return (f'{{"fmap": "data"=0x{addr:x}, "size"={self._size}, "index": {self._index}, '
                f'"w": {self._w}, "h": {self._h}, "ch": {self._ch}, "typecode": {code}}}')

    __str__ = __repr__
