"""Writes the fuzz seed corpus into a folder: the real kmodels of ../shared/models (when present),
the project's own models, and small generated files around the header checks. Run by
run_fuzz.sh; the corpus is made at run time and never stored in the repository."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = (REPO.parent / "shared" / "models", REPO / "tools" / "maixkpu" / "data")


def swapped(data: bytes) -> bytes:
    """Every whole 32-bit word byte-swapped, as a model stored for load_flash."""
    n = len(data) // 4 * 4
    words = struct.unpack(f"<{n // 4}I", data[:n])
    return struct.pack(f">{n // 4}I", *words) + data[n:]


def v3_header(layers: int, outputs: int, main_mem: int, flags: int = 1) -> bytes:
    return struct.pack("<7I", 3, flags, 0, layers, 32768, main_mem, outputs)


def generated(real: dict[str, bytes]) -> dict[str, bytes]:
    seeds = {
        "empty": b"",
        "v3_word": struct.pack("<I", 3),
        "v3_no_layers": v3_header(0, 0, 0),
        "v3_one_output_no_layers": v3_header(0, 1, 16) + struct.pack("<2I", 0, 16),
        # one DEQUANTIZE layer: flags, in, out, count, scale, bias
        "v3_dequantize": v3_header(1, 1, 64) + struct.pack("<2I", 16, 16)
        + struct.pack("<2I", 12, 24) + struct.pack("<4I2f", 0, 0, 16, 4, 0.5, 1.0),
        "v3_huge_counts": v3_header(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
        "kmdl_v4": b"KMDL" + struct.pack("<I", 4) + bytes(24),
        "kmdl_v5": b"KMDL" + struct.pack("<I", 5) + bytes(24),
    }
    for name, data in real.items():
        if data[:4] == struct.pack("<I", 3):
            seeds[f"{name}.be"] = swapped(data)
            for cut in (28, 36, len(data) // 2, len(data) - 5):
                if 0 < cut < len(data):
                    seeds[f"{name}.cut{cut}"] = data[:cut]
    return seeds


def built() -> dict[str, bytes]:
    """Tiny models from the project's kmodel builder: conv kinds, pools, CPU layers after them.
    Best effort: if the builder is unavailable or its API changed, the fuzz run goes on."""
    try:
        import numpy as np

        from maixkpu.kmodel import Dequantize, KpuConv, ModelBuilder, Softmax
    except Exception as exc:  # noqa: BLE001
        print(f"make_seeds: builder seeds skipped: {exc}", file=sys.stderr)
        return {}
    rng = np.random.default_rng(1)
    seeds: dict[str, bytes] = {}

    def conv_model(name: str, w: int, h: int, ic: int, oc: int, **kw: object) -> None:
        try:
            b = ModelBuilder(eight_bit=np.dtype(kw.get("dtype", np.uint8)).itemsize == 1)
            depthwise = bool(kw.get("depthwise", False))
            k = int(kw.get("kernel", 3))
            shape = (oc, k, k) if depthwise else (oc, ic, k, k)
            weights = rng.integers(0, 255, shape).astype(kw.get("dtype", np.uint8))
            x = b.kpu_input(w, h, ic)
            y = b.conv(KpuConv(w, h, ic, oc, weights, kernel=k, depthwise=depthwise,
                               pool=int(kw.get("pool", 0)), main_out=True), x)
            f = b.main(y.count * 4)
            b.add(Dequantize(count=y.count, scale=0.5, bias=-1.0), in_address=y.main,
                  out_address=f)
            if kw.get("softmax"):
                g = b.main(y.count * 4)
                b.add(Softmax(channels=y.count), in_address=f, out_address=g)
                f = g
            b.output(f)
            seeds[f"built_{name}"] = b.build()
        except Exception as exc:  # noqa: BLE001
            print(f"make_seeds: {name} skipped: {exc}", file=sys.stderr)

    conv_model("conv3x3", 8, 6, 3, 4)
    conv_model("conv1x1_pool1", 8, 8, 2, 3, kernel=1, pool=1)
    conv_model("depthwise_pool2", 8, 8, 4, 4, depthwise=True, pool=2)
    conv_model("conv16bit_pool3", 12, 8, 1, 2, dtype=np.uint16, pool=3)
    conv_model("conv_softmax_pool9", 5, 5, 1, 2, pool=9, softmax=True)
    return seeds


def built_v4() -> dict[str, bytes]:
    """A V4 graph with kpu_upload, kpu_conv2d and CPU nodes (the V4 tests' chain model), so the
    fuzzer starts inside the V4 KPU path (nncase 0.2's iris in ../shared has CPU nodes only)."""
    try:
        sys.path.insert(0, str(REPO))
        from host_tests.v4.test_v4_fuzz import chain_model
        return {"v4_chain": chain_model()}
    except Exception as exc:  # noqa: BLE001
        print(f"make_seeds: V4 seed skipped: {exc}", file=sys.stderr)
        return {}


def main(out: Path, max_len: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    real = {}
    for folder in SOURCES:
        if folder.is_dir():
            for p in sorted(folder.glob("*.kmodel")):
                real[p.stem] = p.read_bytes()
    real.update(built())
    real.update(built_v4())
    seeds = dict(real)
    seeds.update(generated(real))
    written = 0
    for name, data in seeds.items():
        if len(data) <= max_len:
            (out / f"{name}.bin").write_bytes(data)
            written += 1
    print(f"{written} seeds in {out} ({len(real)} real models found)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 30))
