"""The flasher's reply deadline counts from when a request is through the line, not from
write(): over rfc2217:// a write returns at once, and a 64 KiB chunk at 115200 baud needs ~6 s."""
from __future__ import annotations

import time

from maixkpu.isp import framing
from maixkpu.isp.flasher import IspLink


class SlowLinePort:
    """A port whose write returns at once but whose board answers only after the request's
    bytes have crossed a line of `baudrate` (10 bits a byte)."""

    def __init__(self, baudrate: int) -> None:
        self.baudrate = baudrate
        self.ready_at = float("inf")
        self.reply = framing.slip_encode(framing.pack_response(0xD2, 0xE0))

    def write(self, data: bytes) -> int:
        self.ready_at = time.monotonic() + len(data) * 10 / self.baudrate
        return len(data)

    @property
    def in_waiting(self) -> int:
        return len(self.reply) if time.monotonic() >= self.ready_at else 0

    def read(self, n: int) -> bytes:
        if time.monotonic() < self.ready_at:
            time.sleep(0.005)
            return b""
        out, self.reply = self.reply[:n], self.reply[n:]
        return out

    def reset_input_buffer(self) -> None:
        pass


def test_reply_deadline_includes_the_requests_time_on_the_line() -> None:
    port = SlowLinePort(baudrate=9600)
    payload = framing.pack_request(0xD2, 0, bytes(960))  # ~1 s on a 9600 baud line
    reply = IspLink(port).request(payload, timeout=0.5)
    assert reply is not None and reply.op == 0xD2


def test_a_board_that_never_answers_still_times_out() -> None:
    port = SlowLinePort(baudrate=9600)
    port.reply = b""
    started = time.monotonic()
    assert IspLink(port).request(framing.pack_short(0xD2), timeout=0.2) is None
    assert time.monotonic() - started < 5
