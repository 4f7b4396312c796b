"""What the V3 runtime hands to a KPU backend, seen by a recording backend written in Python
(ffi callbacks over a bytearray KPU RAM): the input and K210_UPLOAD layouts of spec section 5,
K210_ADD_PADDING's single byte per channel (section 6), the K210_CONV job (section 7.3) and how
backend failures surface."""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

from host_tests.core import v3_files as v3
from host_tests.core.v3_files import f32, u32
from maixkpu._core import ffi, lib

RAM = 2 * 1024 * 1024
FILL = 0xAA


class RecordingBackend:
    """KPU RAM in a bytearray; submit records the job and writes `stream` to stream_out."""

    def __init__(self, submit_status: int = 0, wait_status: int = 0,
                 submit_text: bytes = b"") -> None:
        self.ram = bytearray([FILL]) * RAM
        self.jobs: list[dict[str, Any]] = []
        self.writes: list[tuple[int, int]] = []
        self.stream_fill = 0x5C

        @ffi.callback("kpu_status_t(void *, const kpu_conv_job_t *, kpu_diag_t *)")
        def submit(_self: Any, job: Any, diag: Any) -> int:
            self.jobs.append(dict(
                arg=list(job.arg), weights=bytes(ffi.buffer(job.weights, 16)),
                weights_addr=int(ffi.cast("uintptr_t", job.weights)),
                weights_size=int(job.weights_size), bn=bytes(ffi.buffer(job.bn, 8)),
                act=bytes(ffi.buffer(job.act, 144)), eight_bit=int(job.eight_bit),
                stream_out=int(ffi.cast("uintptr_t", job.stream_out)),
                stream_size=int(job.stream_size)))
            if job.stream_out != ffi.NULL:
                ffi.memmove(job.stream_out, bytes([self.stream_fill]) * job.stream_size,
                            job.stream_size)
            if submit_status and submit_text:
                lib.kpu_diag_set(diag, submit_status, 0, submit_text)
            return submit_status

        @ffi.callback("kpu_status_t(void *, uint32_t, kpu_diag_t *)")
        def wait(_self: Any, timeout_ms: int, diag: Any) -> int:
            assert timeout_ms > 0
            return wait_status

        @ffi.callback("kpu_status_t(void *, size_t, void *, size_t)")
        def ram_read(_self: Any, offset: int, dst: Any, n: int) -> int:
            if offset + n > RAM:
                return lib.KPU_ERR_BOUNDS
            ffi.memmove(dst, bytes(self.ram[offset:offset + n]), n)
            return 0

        @ffi.callback("kpu_status_t(void *, size_t, const void *, size_t)")
        def ram_write(_self: Any, offset: int, src: Any, n: int) -> int:
            if offset + n > RAM:
                return lib.KPU_ERR_BOUNDS
            self.ram[offset:offset + n] = ffi.buffer(src, n)[:]
            self.writes.append((offset, n))
            return 0

        self._callbacks = (submit, wait, ram_read, ram_write)
        self._name = ffi.new("char[]", b"recording")
        self.ops = ffi.new("kpu_backend_ops_t*", {
            "name": self._name, "submit": submit, "wait": wait, "ram_read": ram_read,
            "ram_write": ram_write})
        self.backend = ffi.new("kpu_backend_t*", {"ops": self.ops, "self": ffi.NULL})


def expected_ram(chw: np.ndarray, line: int) -> bytearray:
    """Section 5, written out: pixel (c, y, x) of a map at `line` lives at
    64*line + (c div groups)*row_len*H*64 + (c mod groups)*row_pitch + y*row_len*64 + x."""
    c_n, h, w = chw.shape
    groups, row_len = v3.row_layout(w)
    pitch = 64 // groups
    ram = bytearray([FILL]) * RAM
    for c in range(c_n):
        for y in range(h):
            at = 64 * line + (c // groups) * row_len * h * 64 + (c % groups) * pitch \
                + y * row_len * 64
            ram[at:at + w] = chw[c, y].tobytes()
    return ram


def identity_fc(n: int, src: int, dst: int) -> bytes:
    return u32(0, src, dst, n, n, 0) + np.eye(n, dtype="<f4").tobytes() + bytes(4 * n)


def run(model: Any, backend: Any, inp: bytes, last: int = -1) -> tuple[int, str]:
    d = ffi.new("kpu_diag_t*")
    st = lib.kpu_model_run(model, backend, inp, len(inp), last, d)
    return st, v3.text(d)


def test_k210_upload_uses_the_section5_layout() -> None:
    for c, h, w, line in [(5, 2, 8, 100), (3, 2, 20, 7), (2, 3, 70, 32000), (2, 2, 64, 0)]:
        n = c * h * w
        x = (np.arange(n) * 7 % 251).astype(np.uint8)
        fc_out = 4 * n
        q_out = 8 * n
        layers = [(v3.FULLY_CONNECTED, identity_fc(n, 0, fc_out)),
                  (v3.QUANTIZE, u32(0, fc_out, q_out, n) + f32(1.0, 0.0)),
                  (v3.K210_UPLOAD, u32(0, q_out, line, w, h, c))]
        st, diag, m = v3.load(v3.v3_file(layers, main_mem=q_out + n))
        assert st == "KPU_OK", v3.text(diag)
        rec = RecordingBackend()
        assert run(m, rec.backend, x.astype("<f4").tobytes()) == (0, "")
        assert rec.ram == expected_ram(x.reshape(c, h, w), line), (c, h, w)
        # the map reads back through the backend as compact CHW
        buf = ffi.new("uint8_t[]", n)
        got = ffi.new("size_t*")
        assert lib.kpu_model_read_layer_output(m, rec.backend, 2, -1, buf, n, got,
                                               ffi.NULL) == 0
        assert bytes(ffi.buffer(buf, got[0])) == x.tobytes()
        assert lib.kpu_model_read_layer_output(m, ffi.NULL, 2, -1, buf, n, got,
                                               ffi.NULL) == lib.KPU_ERR_ARGUMENT
        v3.free(m)


def test_k210_add_padding_writes_one_byte_per_channel() -> None:
    c, line = 6, 300
    x = np.array([11, 22, 33, 44, 55, 66], np.uint8)
    layers = [(v3.FULLY_CONNECTED, identity_fc(c, 0, 32)),
              (v3.QUANTIZE, u32(0, 32, 56, c) + f32(1.0, 0.0)),
              (v3.K210_ADD_PADDING, u32(0, 56, line, c))]
    st, diag, m = v3.load(v3.v3_file(layers, main_mem=64))
    assert st == "KPU_OK", v3.text(diag)
    rec = RecordingBackend()
    assert run(m, rec.backend, x.astype("<f4").tobytes()) == (0, "")
    expect = bytearray([FILL]) * RAM
    for ch in range(c):
        expect[64 * line + (ch // 4) * 256 + (ch % 4) * 16] = int(x[ch])
    assert rec.ram == expect  # the other 15 pixels of each channel keep the old RAM bytes
    info = ffi.new("kpu_tensor_info_t*")
    lib.kpu_model_layer_output_info(m, 2, info, ffi.NULL)
    assert (info.w, info.h, info.c, info.size) == (4, 4, 6, 96)
    v3.free(m)


def conv_model(flags: int, header_flags: int = 1, send: int = 0) -> tuple[bytes, int]:
    """One identity conv 8x8x4 (input line 10, output line 2000); returns the file and the
    file offset of its body."""
    body = v3.identity_conv(4, 8, 8, src=10, dst=2000, flags=flags, main_out=8, send=send)
    data = v3.v3_file([(v3.K210_CONV, body)], main_mem=8 + 256, outputs=[(8, 256)],
                      flags=header_flags, max_start=10)
    return data, 28 + 8 + 8


def test_k210_conv_job_and_input_upload() -> None:
    data, body = conv_model(flags=1)
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    rec = RecordingBackend()
    x = (np.arange(256) % 251).astype(np.uint8)
    assert run(m, rec.backend, x.tobytes()) == (0, "")
    assert rec.ram == expected_ram(x.reshape(4, 8, 8), 10)  # section 7.2 input upload
    (job,) = rec.jobs
    arg_off, w_off, bn_off, act_off = struct.unpack_from("<4I", data, body + 8)
    stored = list(struct.unpack_from("<12Q", data, arg_off))
    assert job["arg"][:11] == stored[:11]
    assert job["arg"][11] == stored[11] | 1  # send_data_out set for the main-memory output
    assert job["weights"] == data[w_off:w_off + 16]
    assert job["weights_size"] == len(data) - w_off
    assert job["bn"] == data[bn_off:bn_off + 8]
    assert job["act"] == data[act_off:act_off + 144]
    assert job["eight_bit"] == 1
    assert job["stream_size"] == 256  # dma_total_byte + 1
    out, n, dt = ffi.new("uint8_t**"), ffi.new("size_t*"), ffi.new("kpu_dtype_t*")
    lib.kpu_model_output(m, 0, out, n, dt, ffi.NULL)
    assert job["stream_out"] == int(ffi.cast("uintptr_t", out[0]))  # main memory + 8
    assert bytes(ffi.buffer(out[0], n[0])) == bytes([0x5C]) * 256
    assert dt[0] == lib.KPU_DTYPE_UINT8  # written by the conv's uint8 stream
    # the conv's feature map comes from main memory (no RAM read needed)
    buf, got = ffi.new("uint8_t[]", 64), ffi.new("size_t*")
    assert lib.kpu_model_read_layer_output(m, ffi.NULL, 0, 3, buf, 64, got, ffi.NULL) == 0
    assert bytes(ffi.buffer(buf, got[0])) == bytes([0x5C]) * 64
    v3.free(m)


def test_k210_conv_without_main_output_reads_kpu_ram() -> None:
    data, _ = conv_model(flags=0, header_flags=0, send=1)
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    rec = RecordingBackend()
    assert run(m, rec.backend, bytes(256)) == (0, "")
    (job,) = rec.jobs
    assert job["arg"][11] & 1 == 0  # no stream without the body flag
    assert job["stream_out"] == 0 and job["eight_bit"] == 0
    # the feature map is read from KPU RAM at image_dst_addr with the output layout
    fmap = (np.arange(256) * 3 % 256).astype(np.uint8).reshape(4, 8, 8)
    rec.ram[:] = expected_ram(fmap, 2000)
    buf, got = ffi.new("uint8_t[]", 256), ffi.new("size_t*")
    assert lib.kpu_model_read_layer_output(m, rec.backend, 0, -1, buf, 256, got, ffi.NULL) == 0
    assert bytes(ffi.buffer(buf, got[0])) == fmap.tobytes()
    assert lib.kpu_model_read_layer_output(m, rec.backend, 0, 2, buf, 256, got, ffi.NULL) == 0
    assert bytes(ffi.buffer(buf, got[0])) == fmap[2].tobytes()
    v3.free(m)


def test_backend_failures_surface_with_the_layer() -> None:
    data, _ = conv_model(flags=0)
    st, diag, m = v3.load(data)
    assert st == "KPU_OK", v3.text(diag)
    rec = RecordingBackend(submit_status=lib.KPU_ERR_RUN, submit_text=b"bad job")
    st, text = run(m, rec.backend, bytes(256))
    assert (v3.status_name(st), text) == ("KPU_ERR_RUN", "bad job")
    assert lib.kpu_model_last_run_layer(m) == -1
    rec = RecordingBackend(wait_status=lib.KPU_ERR_TIMEOUT)
    st, text = run(m, rec.backend, bytes(256))
    assert v3.status_name(st) == "KPU_ERR_TIMEOUT"
    assert "layer 0" in text and "wait" in text
    assert lib.kpu_status_maixpy_code(st) == 2008
    st, text = run(m, ffi.NULL, bytes(256))
    assert v3.status_name(st) == "KPU_ERR_ARGUMENT" and "needs a KPU backend" in text
    st, text = run(m, RecordingBackend().backend, bytes(255))
    assert v3.status_name(st) == "KPU_ERR_SIZE" and "8x8x4 uint8" in text
    v3.free(m)
