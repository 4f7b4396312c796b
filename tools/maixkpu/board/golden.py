"""Host results a board must reproduce exactly: the same C core (maixkpu.core), same input bytes.

Detections are rows [x, y, w, h, classid, value] (value: the float32 probability as a Python
float), the form `RemoteKpu.detect` returns from the board; feature maps are per-channel
SHA-256 digests of the raw bytes, as `RemoteKpu.fmap_hashes` computes them on the board.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any

import numpy as np

from maixkpu.board.models import DetectorConfig

Row = list[Any]
NETINFO_FIELDS = ("index", "type", "wi", "hi", "wo", "ho", "chi", "cho", "dw", "kernel_type",
                  "pool_type", "para_size")


class HostModel:
    """A kmodel on the host's software KPU."""

    def __init__(self, kmodel: bytes) -> None:
        from maixkpu.core import Model

        self.model = Model.load(kmodel)

    def close(self) -> None:
        self.model.close()

    def __enter__(self) -> HostModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def input_size(self) -> tuple[int, int, int]:
        """(w, h, channels) of the model input."""
        info = self.model.input_info
        return info.w, info.h, info.c

    def detect(self, ai: bytes, config: DetectorConfig) -> list[Row]:
        from maixkpu.postprocess import yolo2_decode

        output = self.model.run(ai)[0]
        c, h, w = output.shape
        in_w, in_h, _ = self.input_size
        dets = yolo2_decode(output, w, h, c, in_w, in_h, config.anchors, config.threshold,
                            config.nms)
        return [[d.x, d.y, d.w, d.h, d.classid, d.value] for d in dets]

    def layer_map(self, ai: bytes, layer: int) -> np.ndarray:
        """Layer `layer`'s output (c, h, w) after running layers 0..layer."""
        self.model.run(ai, last_layer=layer)
        return self.model.layer_output(layer)

    def fmap_hashes(self, ai: bytes, layer: int) -> dict[str, Any]:
        tensor = self.layer_map(ai, layer)
        c, h, w = tensor.shape
        hashes = [hashlib.sha256(np.ascontiguousarray(tensor[i]).tobytes()).hexdigest()
                  for i in range(c)]
        return {"w": w, "h": h, "ch": c, "hashes": hashes}

    def netinfo(self) -> list[dict[str, Any]]:
        """The host KPU module's netinfo rows (MaixPy's field rules), as `RemoteKpu.netinfo`
        reads them on the board. A private KpuApi: nothing global of the module is used."""
        from maixkpu.maixpy import kpu
        from maixkpu.maixpy.kpu_net import KpuApi, kpu_net

        net = kpu_net.from_bytes(KpuApi(), self.model.data, "golden.kmodel")
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # netinfo prints a line per layer
                rows = kpu.netinfo(net)
            return [{k: int(getattr(row, k)()) for k in NETINFO_FIELDS} for row in rows]
        finally:
            net.deinit()
