"""Moving data onto a board through its REPL: bytes into a variable, files, model input images.

Data travels base64-encoded (`ubinascii.a2b_base64`, in every MicroPython), several pieces per
exec, so one round trip carries CHUNK * PIECES bytes. `push_image` returns the planar input
bytes the board's KPU will see, so a host golden can be computed from exactly the same bytes.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image as PILImage

from maixkpu.board.board import Board

CHUNK = 4096  # bytes per a2b_base64 call (a small string on the board's heap)
PIECES = 4  # calls per exec
BOARD_DIR = "/flash"
_BINASCII = "try:\n import ubinascii as _hil_b\nexcept ImportError:\n import binascii as _hil_b\n"
_HASHLIB = "try:\n import uhashlib as _hil_h\nexcept ImportError:\n import hashlib as _hil_h\n"


def _pieces(data: bytes, chunk: int = CHUNK) -> list[str]:
    return [base64.b64encode(data[i:i + chunk]).decode("ascii")
            for i in range(0, len(data), chunk)]


def push_bytes(board: Board, name: str, data: bytes) -> None:
    """Board global `name` = bytearray(data)."""
    board.exec(f"{_BINASCII}{name} = bytearray({len(data)})\n_hil_o = 0")
    pieces = _pieces(data)
    for start in range(0, len(pieces), PIECES):
        lines = [f"_hil_d = _hil_b.a2b_base64({p!r})\n"
                 f"{name}[_hil_o:_hil_o + len(_hil_d)] = _hil_d\n_hil_o += len(_hil_d)"
                 for p in pieces[start:start + PIECES]]
        board.exec("\n".join(lines))


def put_file(board: Board, path: str, data: bytes) -> None:
    """Write `data` to the board file `path` (needs a file system)."""
    board.exec(f"{_BINASCII}_hil_f = open({path!r}, 'wb')")
    try:
        pieces = _pieces(data)
        for start in range(0, len(pieces), PIECES):
            board.exec("\n".join(f"_hil_f.write(_hil_b.a2b_base64({p!r}))"
                                 for p in pieces[start:start + PIECES]))
    finally:
        board.exec("_hil_f.close()\ndel _hil_f")


def sha256_remote(board: Board, expr: str) -> str:
    """Hex SHA-256 of the bytes of board expression `expr` (hashlib or uhashlib)."""
    return str(board.eval_json("_hil_b.hexlify(_hil_h.sha256(bytes(" + expr + ")).digest())"
                               ".decode()", setup=_BINASCII + _HASHLIB))


def read_bytes(board: Board, expr: str, chunk: int = 12288) -> bytes:
    """The bytes of board expression `expr`, fetched base64 in pieces."""
    board.exec(f"{_BINASCII}_hil_r = bytes({expr})")
    size = int(board.eval_json("len(_hil_r)"))
    out = bytearray()
    for start in range(0, size, chunk):
        text = board.eval_json(f"_hil_b.b2a_base64(_hil_r[{start}:{start + chunk}])"
                               ".decode().strip()")
        out += base64.b64decode(text)
    board.exec("del _hil_r")
    return bytes(out)


# -- images for the KPU ----------------------------------------------------------------------------

def fit_image(picture: PILImage.Image | Any, width: int, height: int) -> PILImage.Image:
    """`picture` (PIL image, path or array) as RGB, resized to the model input size."""
    if isinstance(picture, np.ndarray):
        picture = PILImage.fromarray(picture)
    elif not isinstance(picture, PILImage.Image):
        picture = PILImage.open(picture)
    rgb = picture.convert("RGB")
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), PILImage.BILINEAR)
    return rgb


def planar(rgb: PILImage.Image) -> bytes:
    """Planar R, G, B bytes (the KPU's input layout) of an RGB image."""
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)).tobytes()


def bmp_bytes(rgb: PILImage.Image) -> bytes:
    out = io.BytesIO()
    rgb.save(out, format="BMP")
    return out.getvalue()


def board_ai_bytes(bmp: bytes) -> bytes:
    """What MaixPy's `image.Image(bmp).pix_to_ai()` puts in pix_ai (RGB565 first, then the
    rb528/g628 tables), computed with the host image module (same code as the board's)."""
    from maixkpu.maixpy.image import Image
    from maixkpu.maixpy.imaging.bmp import decode_bmp

    w, h, bpp, pixels = decode_bmp(bmp)
    img = Image._make(w, h, bpp, pixels)
    img.pix_to_ai()
    assert img.pix_ai is not None
    n = 3 * img.width() * img.height()
    return np.asarray(img.pix_ai, dtype=np.uint8)[:n].tobytes()


@dataclass
class PushedImage:
    """A model input on the board: global `name` holds it; `ai` are the bytes the KPU reads."""

    name: str
    ai: bytes
    method: str  # "file" (image.Image + pix_to_ai) or "buffer" (planar bytearray)


def push_image(board: Board, picture: PILImage.Image | Any, width: int, height: int,
               name: str = "img", method: str = "auto") -> PushedImage:
    """Put `picture`, resized to width x height, on the board as a KPU input.

    method "file": a BMP on /flash loaded with `image.Image` + `pix_to_ai()` (MaixPy; pix_ai
    goes through RGB565); "buffer": planar bytes in a bytearray (KPU builds without `image`);
    "auto": file when the board has `image` and /flash, else buffer.
    """
    rgb = fit_image(picture, width, height)
    if method == "auto":
        method = "file" if board.has_module("image") and board.has_filesystem() else "buffer"
    if method == "buffer":
        data = planar(rgb)
        push_bytes(board, name, data)
        return PushedImage(name, data, method)
    if method != "file":
        raise ValueError(f"unknown image method {method!r} (auto, file, buffer)")
    bmp = bmp_bytes(rgb)
    path = f"{BOARD_DIR}/_hil_{name}.bmp"
    put_file(board, path, bmp)
    board.exec(f"import image\n{name} = image.Image({path!r})\n{name}.pix_to_ai()")
    return PushedImage(name, board_ai_bytes(bmp), method)
