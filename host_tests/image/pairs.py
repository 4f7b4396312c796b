"""Helpers of the image-core tests: random images as (C core, Python) pairs and comparisons.

The Python ``maixkpu.maixpy.image.Image`` is the reference; ``maixkpu.image_core.CoreImage``
wraps the C core. Both keep the same bytes (gray, or raw byte-swapped RGB565 words).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from maixkpu.image_core import GRAYSCALE, RGB565, CoreImage
from maixkpu.maixpy.image import Image
from maixkpu.maixpy.imaging import tables

# Bounded so the whole image-core suite stays within a few seconds; IMAGE_CORE_EXAMPLES=2000
# runs a deeper comparison by hand.
FAST = settings(max_examples=int(os.environ.get("IMAGE_CORE_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

formats = st.sampled_from([GRAYSCALE, RGB565])
# Coordinates mostly on and around small images, sometimes far off or at the int32 extremes.
coords = st.one_of(
    st.integers(-4, 14), st.integers(-4, 14), st.integers(-40, 50),
    st.sampled_from([-(2**31), 2**31 - 1, -(2**30), 2**30]),
)


@st.composite
def images(draw: st.DrawFn, fmt: int | None = None, min_side: int = 1, max_side: int = 12) -> (
    tuple[int, int, int, bytes]
):
    """(w, h, format, pixel bytes) with random contents; odd sizes included."""
    f = draw(formats) if fmt is None else fmt
    w = draw(st.integers(min_side, max_side))
    h = draw(st.integers(min_side, max_side))
    data = draw(st.binary(min_size=w * h * f, max_size=w * h * f))
    return w, h, f, data


def pair(spec: tuple[int, int, int, bytes]) -> tuple[CoreImage, Image]:
    """The same image for the C core and the Python module (separate buffers)."""
    w, h, f, data = spec
    buf = np.frombuffer(data, dtype=np.uint8)
    return CoreImage(w, h, f, buf.copy()), Image._make(w, h, f, buf.copy())


def py_bytes(img: Image) -> bytes:
    return bytes(img)


def assert_same(core: CoreImage, py: Image) -> None:
    """Same size, format and pixel bytes."""
    assert (core.w, core.h) == (py.width(), py.height())
    assert core.fmt == py._bpp
    got, want = core.tobytes(), py_bytes(py)
    if got != want:
        a = np.frombuffer(got, np.uint8)
        b = np.frombuffer(want, np.uint8)
        bad = np.flatnonzero(a != b)
        raise AssertionError(
            f"{len(bad)} of {a.size} bytes differ, first at {bad[0]}: C {a[bad[0]]} != "
            f"Python {b[bad[0]]}"
        )


@contextmanager
def firmware(flavour: str) -> Iterator[None]:
    """The Python module's firmware flavour for a block (restored after)."""
    old = tables.firmware()
    tables.set_firmware(flavour)
    try:
        yield
    finally:
        tables.set_firmware(old)


def raises_same(call_c: object, call_py: object) -> tuple[type, str] | None:
    """Run both; return the (type, text) of the error both raise, or None if both succeed.
    Fails when only one raises or they raise different errors."""
    outcomes = []
    for call in (call_c, call_py):
        try:
            call()  # type: ignore[operator]
            outcomes.append(None)
        except (OSError, ValueError, TypeError, IndexError, MemoryError) as exc:
            outcomes.append((type(exc), str(exc)))
    assert outcomes[0] == outcomes[1], f"C {outcomes[0]} != Python {outcomes[1]}"
    return outcomes[0]
