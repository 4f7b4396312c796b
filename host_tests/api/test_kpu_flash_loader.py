"""C-level tests of the KPU API's flash side (kpu_api.h): the model size from the header tables
(spec maixpy-kpu-api.md 6.2) for the real files, erased / foreign / truncated / V4 / V5 /
word-swapped flash, read failures, and the load_flash stream (weights read per layer, in
batch-sized reads, results equal to a whole load, robust to corrupted flash)."""
from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from host_tests.conftest import shared_model
from maixkpu._core import ffi, lib
from maixkpu.core import default_soft_kpu
from maixkpu.kfpkg import read_kfpkg

ADDR = 0x100000
FLASH_SIZE = 16 * 1024 * 1024
V3_FILES = ["sipeed_facedetect_320x240.kmodel", "sipeed_mnist_28x28.kmodel",
            "nncase010rc5_yolo2_voc20_320x240_chwise.kmodel", "nncase010rc5_iris_float.kmodel"]


class MemFlash:
    """A flash image behind the C read callback; records every read and can fail them."""

    def __init__(self) -> None:
        self.data = bytearray(b"\xff") * FLASH_SIZE
        self.reads: list[tuple[int, int]] = []
        self.fail = False
        self._cb = ffi.callback("int(void *, uint32_t, void *, size_t)", self._read)
        self.ptr = ffi.new("kpu_flash_t *", {"read": self._cb, "ctx": ffi.NULL})

    def _read(self, ctx, addr, dst, n):  # noqa: ARG002
        self.reads.append((int(addr), int(n)))
        if self.fail or addr + n > len(self.data):
            return -1
        ffi.memmove(dst, bytes(self.data[addr:addr + n]), n)
        return 0

    def write(self, addr: int, blob: bytes) -> None:
        self.data[addr:addr + len(blob)] = blob


@pytest.fixture
def api():
    a = ffi.new("kpu_api_t *")
    lib.kpu_api_init(a, ffi.new("kpu_allocator_t *", lib.kpu_alloc_std()))
    yield a
    assert a.nets == 0 and a.held == 0  # every test destroys its nets: nothing leaks


def info_of(flash: MemFlash, addr: int = ADDR, big_endian: int = 0, max_size: int = 0):
    info = ffi.new("kpu_flash_model_t *")
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_flash_model_info(flash.ptr, addr, big_endian, max_size, info, diag)
    return st, info, ffi.string(diag.text).decode()


def v3_declared_size(blob: bytes) -> int:
    """28 + 8 * outputs + 8 * layers + sum(body_size), read here with struct."""
    layers, outputs = struct.unpack_from("<I", blob, 12)[0], struct.unpack_from("<I", blob, 24)[0]
    tables = 28 + 8 * outputs
    bodies = sum(struct.unpack_from("<I", blob, tables + 8 * i + 4)[0] for i in range(layers))
    return tables + 8 * layers + bodies


@pytest.mark.parametrize("name", V3_FILES)
def test_v3_size_from_the_header_is_the_file_size(name):
    blob = shared_model(name).read_bytes()
    flash = MemFlash()
    flash.write(ADDR, blob)
    st, info, _ = info_of(flash)
    assert st == lib.KPU_OK and info.version == 3 and info.big_endian == 0
    assert info.size == v3_declared_size(blob)
    assert 0 <= info.size - len(blob) <= 7  # nncase leaves out the final body's padding


def test_v4_size_formula():
    blob = shared_model("nncase020b4_iris_float.kmodel").read_bytes()
    words = struct.unpack_from("<10I", blob)
    constants, nodes, inputs, outputs = words[4], words[6], words[7], words[8]
    start = 40 + 32 * inputs + 16 * outputs + constants
    bodies = sum(struct.unpack_from("<I", blob, start + 8 * i + 4)[0] for i in range(nodes))
    flash = MemFlash()
    flash.write(ADDR, blob)
    st, info, _ = info_of(flash)
    assert st == lib.KPU_OK and info.version == 4
    assert info.size == start + 8 * nodes + bodies == len(blob)


def v5_declared_size(blob: bytes) -> int:
    """32-byte model header + every module's size (offset 24 of its header), read with struct."""
    off = 32
    for _ in range(struct.unpack_from("<I", blob, 20)[0]):
        off += struct.unpack_from("<I", blob, off + 24)[0]
    return off


def test_v5_size_from_its_module_headers():
    blob = shared_model("nncase_master_benchmark_cpu_mnist.kmodel").read_bytes()
    flash = MemFlash()
    flash.write(ADDR, blob)
    st, info, _ = info_of(flash)
    assert st == lib.KPU_OK and info.version == 5
    assert info.size == v5_declared_size(blob) and 0 <= len(blob) - info.size < 8
    st, _, text = info_of(flash, big_endian=1)  # load_flash streams V3 only
    assert st == lib.KPU_ERR_VERSION and "KPU.load(0x100000)" in text


def test_erased_and_foreign_flash_are_2002():
    flash = MemFlash()
    st, _, text = info_of(flash)
    assert st == lib.KPU_ERR_VERSION and lib.kpu_status_maixpy_code(st) == 2002
    assert "no model at flash address 0x100000" in text and "0xFF" in text
    flash.write(ADDR, b"\x7fELF" + bytes(60))
    st, _, text = info_of(flash)
    assert st == lib.KPU_ERR_VERSION and "no kmodel at 0x100000: first word 0x464c457f" in text


def test_truncated_models(api):
    blob = shared_model("sipeed_facedetect_320x240.kmodel").read_bytes()
    flash = MemFlash()
    flash.write(ADDR, blob[:100])  # the layer table runs into erased flash
    st, _, text = info_of(flash)
    assert st == lib.KPU_ERR_FORMAT and "model size err" in text
    flash = MemFlash()
    flash.write(ADDR, blob[:len(blob) // 2])  # bodies cut: the loader must refuse, not crash
    st, info, _ = info_of(flash)
    assert st == lib.KPU_OK and info.size == len(blob)
    out = ffi.new("kpu_net_t **")
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_net_load_flash(api, out, flash.ptr, ADDR, diag)
    assert lib.kpu_status_maixpy_code(st) == 2003 and out[0] == ffi.NULL


def test_size_limit_and_read_failure():
    flash = MemFlash()
    flash.write(ADDR, shared_model("sipeed_facedetect_320x240.kmodel").read_bytes())
    st, _, text = info_of(flash, max_size=100_000)
    assert st == lib.KPU_ERR_FORMAT and "model size err" in text
    flash.fail = True
    st, _, _ = info_of(flash)
    assert st == lib.KPU_ERR_READ and lib.kpu_status_maixpy_code(st) == 2005


def _be_face_flash() -> tuple[MemFlash, int]:
    pkg = read_kfpkg(shared_model("sipeed_face_model_be_at_0x600000.kfpkg"))
    flash = MemFlash()
    (addr, blob), = list(pkg.regions())
    flash.write(addr, blob)
    return flash, addr


def test_big_endian_model_is_for_load_flash_only():
    flash, addr = _be_face_flash()
    st, info, _ = info_of(flash, addr, big_endian=1)
    assert st == lib.KPU_OK and info.big_endian == 1 and info.size == 388776
    st, _, text = info_of(flash, addr, big_endian=0)
    assert st == lib.KPU_ERR_VERSION and "word-swapped" in text and "load_flash" in text
    flash.write(ADDR, shared_model("sipeed_facedetect_320x240.kmodel").read_bytes())
    st, _, text = info_of(flash, ADDR, big_endian=1)
    assert st == lib.KPU_ERR_VERSION and "model_le2be" in text


def _run(net, planes: bytes, end: int = -1) -> bytes:
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_net_forward(net, default_soft_kpu().backend_ptr, planes, len(planes), end, diag)
    assert st == lib.KPU_OK, ffi.string(diag.text)
    fmap = ffi.new("kpu_fmap_t *")
    assert lib.kpu_net_get_output(net, 0, fmap, diag) == lib.KPU_OK
    return bytes(ffi.buffer(fmap.data, fmap.size))


@pytest.mark.parametrize("dual, batch", [(0, 0), (1, 0x1000)])
def test_load_flash_stream_reads_weights_per_layer(api, dual, batch):
    flash, addr = _be_face_flash()
    flash.write(ADDR, shared_model("sipeed_facedetect_320x240.kmodel").read_bytes())
    whole, streamed = ffi.new("kpu_net_t **"), ffi.new("kpu_net_t **")
    diag = ffi.new("kpu_diag_t *")
    assert lib.kpu_net_load_flash(api, whole, flash.ptr, ADDR, diag) == lib.KPU_OK
    st = lib.kpu_net_load_flash_stream(api, streamed, flash.ptr, addr, dual, batch, diag)
    assert st == lib.KPU_OK, ffi.string(diag.text)
    assert lib.kpu_net_model_size(streamed[0]) == 388776
    # resident: structure, main memory, one or two conv blocks buffers; not the weights
    assert lib.kpu_net_memory(streamed[0]) + 388776 // 2 < lib.kpu_net_memory(whole[0])
    rng = random.Random(7)  # one generator: a new Random(7) per pixel made every pixel equal
    planes = bytes(rng.randrange(256) for _ in range(320 * 240 * 3))
    flash.reads.clear()
    assert _run(streamed[0], planes) == _run(whole[0], planes)
    streamed_reads = [r for r in flash.reads if r[0] >= addr]
    assert sum(n for _, n in streamed_reads) > 300_000  # the weights came from flash now
    if batch:
        assert max(n for _, n in streamed_reads) <= batch
    lib.kpu_net_deinit(streamed[0])
    assert lib.kpu_net_forward(streamed[0], default_soft_kpu().backend_ptr, planes,
                               len(planes), -1, diag) == lib.KPU_ERR_STATE
    lib.kpu_net_destroy(streamed[0])
    lib.kpu_net_destroy(whole[0])


def test_corrupted_flash_never_crashes(api):
    flash, addr = _be_face_flash()
    pristine = bytes(flash.data[addr:addr + 4096])
    rng = random.Random(2024)
    planes = bytes(320 * 240 * 3)
    backend = default_soft_kpu().backend_ptr
    outcomes = set()
    for _ in range(60):
        flash.write(addr, pristine)
        at = rng.randrange(0, len(pristine) // 4) * 4
        flash.write(addr + at, struct.pack("<I", rng.getrandbits(32)))
        out = ffi.new("kpu_net_t **")
        diag = ffi.new("kpu_diag_t *")
        st = lib.kpu_net_load_flash_stream(api, out, flash.ptr, addr, 1, 0x2000, diag)
        if st == lib.KPU_OK:  # the flips are in the first layers: running those is enough
            st = lib.kpu_net_forward(out[0], backend, planes, len(planes), 3, diag)
            lib.kpu_net_destroy(out[0])
        outcomes.add(int(lib.kpu_status_maixpy_code(st)))
    assert outcomes - {0}  # some flips were refused with a MaixPy code


def test_v3_only_path_for_models_in_memory(api, tmp_path: Path):
    blob = shared_model("sipeed_mnist_28x28.kmodel").read_bytes()
    out = ffi.new("kpu_net_t **")
    diag = ffi.new("kpu_diag_t *")
    assert lib.kpu_net_load_memory(api, out, blob, len(blob), diag) == lib.KPU_OK
    net = out[0]
    assert lib.kpu_net_layer_count(net) == 11 and lib.kpu_net_model_addr(net) == 0
    assert lib.kpu_net_source(net) == lib.KPU_NET_FROM_MEMORY
    assert lib.kpu_net_set_layers(net, 12, diag) == lib.KPU_ERR_INDEX
    assert ffi.string(diag.text).decode() == "err: set layers_length to 12, but max 11"
    assert lib.kpu_net_yolo2_decode(net, ffi.new("kpu_yolo2_detection_t **"),
                                    ffi.new("size_t *"), diag) == lib.KPU_ERR_STATE
    lib.kpu_net_destroy(net)
