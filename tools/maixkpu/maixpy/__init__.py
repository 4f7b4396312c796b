"""MaixPy's ``image``, ``sensor``, ``lcd`` (and, when present, ``KPU``) modules on CPython.

``install()`` registers them under their MaixPy names so unmodified scripts can
``import sensor, image, lcd`` and ``import KPU as kpu``; the virtual board binds them through
each module's ``board_module(ctx)`` instead.

Fidelity (reference: shared/spec/maixpy-image-subset.md):

- exact: RGB565 kept in MaixPy's byte-swapped layout, the 5/6<->8-bit tables, the RGB565->gray
  tables of the full and minimum firmware (``imaging.tables.set_firmware`` or env
  ``MAIXKPU_FIRMWARE``), colour parsing, BMP load/save, ``resize`` (all paths, float32 maths and
  quirks), ``stretch``, ``draw_image`` (raw-word semantics), ``draw_rectangle``, ``cut``/``copy``/
  ``crop`` sampling, ``pix_to_ai``/``ai_to_pix``, repr, error types and texts, ``lcd.display``
  placement and colours, ``sensor.set_windowing`` checks and geometry;
- by choice where MaixPy is undefined: memory past an image's buffer reads as 0 (except the
  RGB565 bytes left by an in-place ``to_grayscale`` and a gray snapshot's AI planes), float ->
  uint8 wraps modulo 256;
- not exact: JPEG decoding/encoding (Pillow instead of picojpeg / OpenMV's encoder), the shapes of
  the 8x12 glyphs (cell size and spacing are MaixPy's), camera frames (files, see ``sensor``);
- PC extensions: PNG load/save, ``Image.from_gray_bytes/from_raw/from_rgb888``, ``to_rgb888``,
  ``to_pil``, ``ai_planes``, ``sensor.configure_source``, ``lcd.configure_output``, ``flash``;
- MaixPy bugs fixed (named "(fixed)" in docstrings): ``cut`` with negative x/y or 3 arguments,
  ``copy`` leaving ``pix_ai`` uninitialised, ``pix_to_ai`` overrunning a too-small buffer.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

_MODULES = {"image": "image", "sensor": "sensor", "lcd": "lcd", "KPU": "kpu"}


def install() -> dict[str, ModuleType]:
    """Put the emulated modules into ``sys.modules`` under MaixPy's names; returns them."""
    installed: dict[str, ModuleType] = {}
    for public, private in _MODULES.items():
        try:
            module = importlib.import_module(f"{__name__}.{private}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{private}":
                raise
            continue  # KPU may not be written yet
        sys.modules[public] = module
        installed[public] = module
    return installed
