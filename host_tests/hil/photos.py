"""Test photos from scikit-image's data (public domain / CC0), as PIL RGB images."""
from __future__ import annotations

from PIL import Image, ImageOps
from skimage import data


def _astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


# one face each (the MaixPy face model finds exactly one)
FACE_PHOTOS = {
    "astronaut": _astronaut,
    "astronaut_mirrored": lambda: ImageOps.mirror(_astronaut()),
    "astronaut_close_up": lambda: _astronaut().crop((100, 0, 400, 225)),
    "cameraman": lambda: Image.fromarray(data.camera()).convert("RGB"),
}
# no face
OTHER_PHOTOS = {
    "chelsea_cat": lambda: Image.fromarray(data.chelsea()),
    "coffee": lambda: Image.fromarray(data.coffee()),
    "rocket": lambda: Image.fromarray(data.rocket()),
}


def photo(name: str) -> Image.Image:
    return {**FACE_PHOTOS, **OTHER_PHOTOS}[name]()
