"""KPU.load_flash of kmodel V4 (nncase v0.2) files kept in flash in their original byte order:
only the structure stays resident, each kpu_conv2d node's batch-norm / activation / weight
tables are read from flash when the node runs. Results equal a whole KPU.load byte for byte;
a word-swapped V4, tables past their node body, corrupted flash and failing reads are refused
cleanly. The VOC detector as V4 comes from host_tests/v4 (16 kpu_conv2d + 3 CPU nodes)."""
from __future__ import annotations

import contextlib
import io
import random
import struct

import numpy as np
import pytest

from host_tests.conftest import shared_model
from host_tests.v4.test_v4_fuzz import chain_model
from host_tests.v4.test_v4_kpu import YOLO_V3
from host_tests.v4.test_v4_yolo import VOC_ANCHORS, yolo_as_v4
from maixkpu._core import ffi, lib
from maixkpu.core import default_soft_kpu, swap_words
from maixkpu.kmodel.layer_arg import LayerArg
from maixkpu.maixpy import image, kpu
from maixkpu.maixpy.flash import HostFlash

ADDR = 0x200000
KPU_CONV2D = 0x2002


class MemFlash:
    """A 16 MiB flash behind the C read callback; records every read and can fail them."""

    def __init__(self) -> None:
        self.data = bytearray(b"\xff") * (16 << 20)
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


def v4_bodies(blob: bytes) -> list[tuple[int, int, int]]:
    """(opcode, file offset, size) of every node body, read here with struct (spec A1)."""
    constants, _main, nodes, inputs, outputs = struct.unpack_from("<5I", blob, 16)
    at = 40 + 32 * inputs + 16 * outputs + constants
    off = at + 8 * nodes
    out = []
    for i in range(nodes):
        opcode, size = struct.unpack_from("<2I", blob, at + 8 * i)
        out.append((opcode, off, size))
        off += size
    return out


@pytest.fixture(scope="module")
def yolo_v4() -> bytes:
    return yolo_as_v4(shared_model(YOLO_V3).read_bytes())


@pytest.fixture
def api():
    a = ffi.new("kpu_api_t *")
    lib.kpu_api_init(a, ffi.new("kpu_allocator_t *", lib.kpu_alloc_std()))
    yield a
    assert a.nets == 0 and a.held == 0  # every test destroys its nets


def load(api, flash: MemFlash, stream: bool, dual: int = 0, batch: int = 0):
    out = ffi.new("kpu_net_t **")
    diag = ffi.new("kpu_diag_t *")
    if stream:
        st = lib.kpu_net_load_flash_stream(api, out, flash.ptr, ADDR, dual, batch, diag)
    else:
        st = lib.kpu_net_load_flash(api, out, flash.ptr, ADDR, diag)
    return st, out[0], ffi.string(diag.text).decode()


def forward(net, planes: bytes, end: int = -1) -> tuple[int, bytes, str]:
    diag = ffi.new("kpu_diag_t *")
    st = lib.kpu_net_forward(net, default_soft_kpu().backend_ptr, planes, len(planes), end, diag)
    if st != lib.KPU_OK:
        return st, b"", ffi.string(diag.text).decode()
    fmap = ffi.new("kpu_fmap_t *")
    assert lib.kpu_net_get_output(net, 0, fmap, diag) == lib.KPU_OK
    return st, bytes(ffi.buffer(fmap.data, fmap.size)), ""


@pytest.mark.parametrize("dual, batch", [(0, 0), (1, 0x4000)])
def test_streamed_v4_equals_a_whole_load(api, yolo_v4, dual, batch):
    flash = MemFlash()
    flash.data[ADDR:ADDR + len(yolo_v4)] = yolo_v4
    st, whole, _ = load(api, flash, stream=False)
    assert st == lib.KPU_OK
    flash.reads.clear()
    st, streamed, text = load(api, flash, stream=True, dual=dual, batch=batch)
    assert st == lib.KPU_OK, text
    convs = [(off, size) for op, off, size in v4_bodies(yolo_v4) if op == KPU_CONV2D]
    assert len(convs) == 16
    # loading reads the structure only: each conv body's 120-byte head, never its tables
    assert sum(n for _, n in flash.reads) < len(yolo_v4) // 4
    assert lib.kpu_net_model_size(streamed) == lib.kpu_net_model_size(whole) >= len(yolo_v4)
    # resident: structure, main memory and one (two with dual) buffer of the largest tables
    spare = len(yolo_v4) // 4 if not dual else 0
    assert lib.kpu_net_memory(streamed) + spare < lib.kpu_net_memory(whole)
    planes = np.random.default_rng(4).integers(0, 256, 320 * 240 * 3, np.uint8).tobytes()
    for end in ((7, -1) if not dual else (-1,)):  # an inner conv map, the float output
        flash.reads.clear()
        got = forward(streamed, planes, end)
        assert got[0] == lib.KPU_OK, got[2]
        assert got[1] == forward(whole, planes, end)[1], end
    # the full run read every conv node's tables from inside its body, in batch-sized reads
    for off, size in convs:
        inside = [n for a, n in flash.reads if ADDR + off <= a < ADDR + off + size]
        assert sum(inside) >= size - 512, (off, size)
    if batch:
        assert max(n for _, n in flash.reads) <= batch
    for net in (streamed, whole):
        lib.kpu_net_destroy(net)


def test_maixpy_load_flash_of_v4_detects_as_load_does(yolo_v4):
    dog = image.Image(str(shared_model("nncase_dog_320x240.bmp")))
    dog.pix_to_ai()
    flash = HostFlash()
    flash.write(ADDR, yolo_v4)
    kpu.set_flash(flash)
    try:
        whole = kpu.load(ADDR)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            streamed = kpu.load_flash(ADDR, 0, 0, 40000000)
        assert printed.getvalue() == "SPI freq 40000000 Hz\n"
        found = []
        for net in (whole, streamed):
            assert kpu.init_yolo2(net, 0.5, 0.2, 5, VOC_ANCHORS) is True
            found.append([(d.rect(), d.classid(), d.value()) for d in kpu.run_yolo2(net, dog)])
        assert found[0] and found[0] == found[1]
        with contextlib.redirect_stdout(io.StringIO()):
            rows = [[(r.index(), r.type(), r.wi(), r.hi(), r.wo(), r.ho(), r.chi(), r.cho(),
                      r.kernel_type(), r.pool_type(), r.para_size()) for r in kpu.netinfo(n)]
                    for n in (whole, streamed)]
        assert rows[0] == rows[1] and len(rows[0]) == 19
        assert streamed.memory < whole.memory // 2
        kpu.deinit(streamed)
        kpu.deinit(whole)
    finally:
        kpu.set_flash(None)


def test_a_graph_with_upload_conv_and_cpu_nodes_streams(api):
    """kpu_upload from main memory, a kpu_conv2d that also writes main memory, then
    dequantize / transpose / pad / softmax / quantize: both outputs equal a whole load's."""
    blob = chain_model()
    flash = MemFlash()
    flash.data[ADDR:ADDR + len(blob)] = blob
    nets = [load(api, flash, stream)[1] for stream in (False, True)]
    x = np.random.default_rng(9).integers(0, 256, 256, np.uint8).tobytes()
    diag = ffi.new("kpu_diag_t *")
    outs = []
    for net in nets:
        assert lib.kpu_net_forward(net, default_soft_kpu().backend_ptr, x, len(x), -1,
                                   diag) == lib.KPU_OK, ffi.string(diag.text)
        maps = []
        for i in range(2):
            fmap = ffi.new("kpu_fmap_t *")
            assert lib.kpu_net_get_output(net, i, fmap, diag) == lib.KPU_OK
            maps.append(bytes(ffi.buffer(fmap.data, fmap.size)))
        outs.append(maps)
        lib.kpu_net_destroy(net)
    assert outs[0] == outs[1] and len(set(outs[0][1])) > 1


def test_cpu_only_v4_streams_too():
    """iris (4 CPU nodes, no tables to stream) gives its golden vector."""
    flash = HostFlash()
    flash.write(ADDR, shared_model("nncase020b4_iris_float.kmodel").read_bytes())
    kpu.set_flash(flash)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            net = kpu.load_flash(ADDR, 0, 0, 20000000)
        out = kpu.forward(net, [5.1, 3.8, 1.9, 0.4])
        assert np.allclose(out[:], [16.077795, 5.607656, -2.071745], atol=1e-5)
        kpu.deinit(net)
    finally:
        kpu.set_flash(None)


def test_word_swapped_v4_is_refused(yolo_v4):
    flash = HostFlash()
    flash.write(ADDR, swap_words(yolo_v4 + bytes(-len(yolo_v4) % 4)))
    kpu.set_flash(flash)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            with pytest.raises(ValueError) as streamed:
                kpu.load_flash(ADDR, 0, 0, 40000000)
        with pytest.raises(ValueError) as whole:
            kpu.load(ADDR)
    finally:
        kpu.set_flash(None)
    for exc in (streamed, whole):
        assert ":2002, " in str(exc.value)
        assert ("word-swapped (big-endian) V4: only V3 is word-swapped for KPU.load_flash; flash "
                "the original file (KPU.load(offset) and KPU.load_flash both take it)"
                in str(exc.value))


def test_tables_past_their_node_body_are_refused_at_load(api, yolo_v4):
    """The weights skip of node 3 pushed past its body: refused before anything runs."""
    op, off, size = v4_bodies(yolo_v4)[3]
    assert op == KPU_CONV2D
    arg = LayerArg.decode(yolo_v4, off + 24)
    bad = bytearray(yolo_v4)
    bad[off + 24:off + 120] = arg.replace(para_start_addr=arg.para_start_addr + size).encode()
    flash = MemFlash()
    flash.data[ADDR:ADDR + len(bad)] = bad
    st, net, text = load(api, flash, stream=True)
    assert net == ffi.NULL and lib.kpu_status_maixpy_code(st) == 2003
    assert text.startswith("node 3 (kpu_conv2d): tables end at file offset ")
    assert text.endswith(f"past its {size}-byte body")


def test_read_failure_while_streaming_is_2005(api, yolo_v4):
    flash = MemFlash()
    flash.data[ADDR:ADDR + len(yolo_v4)] = yolo_v4
    st, net, _ = load(api, flash, stream=True)
    assert st == lib.KPU_OK
    flash.fail = True
    st, _, text = forward(net, bytes(320 * 240 * 3))
    assert lib.kpu_status_maixpy_code(st) == 2005 and "flash read" in text
    lib.kpu_net_destroy(net)


def test_corrupted_v4_flash_never_crashes(api, yolo_v4):
    flash = MemFlash()
    head = 8192  # header, tables, node headers and the first bodies
    rng = random.Random(44)
    planes = bytes(320 * 240 * 3)
    outcomes = set()
    for _ in range(60):
        flash.data[ADDR:ADDR + len(yolo_v4)] = yolo_v4
        at = rng.randrange(0, head // 4) * 4
        flash.data[ADDR + at:ADDR + at + 4] = struct.pack("<I", rng.getrandbits(32))
        st, net, _ = load(api, flash, stream=True, dual=1, batch=0x2000)
        if st == lib.KPU_OK:
            st = forward(net, planes, 2)[0]
            lib.kpu_net_destroy(net)
        outcomes.add(int(lib.kpu_status_maixpy_code(st)))
    assert outcomes - {0}  # some flips were refused with a MaixPy code
