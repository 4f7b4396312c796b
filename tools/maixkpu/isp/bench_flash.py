"""Benchmark: flash 4 MiB into the virtual board's ISP over a simulated serial line.

    python -m maixkpu.isp.bench_flash [--mib 4] [--baud 1500000] [--no-line] [--no-verify]

The line model charges 10 bit times per byte (8N1) in each direction at the current rate,
so the result shows how close the flasher gets to the line rate (protocol overhead:
headers, replies, reply turnaround, hash checks). --no-line measures host + emulation
speed alone. Prints one line per run; not a test.
"""
from __future__ import annotations

import argparse
import os
import time

from maixkpu.isp.flasher import Flasher, FlashOptions
from maixkpu.vboard.flash import FlashImage
from maixkpu.vboard.isp_device import IspDevice


class LinePort:
    """A pyserial-like port wired to an IspDevice through a line of finite speed."""

    def __init__(self, device: IspDevice, simulate_line: bool = True) -> None:
        self.device = device
        self.simulate_line = simulate_line
        self.baudrate = 115200
        self.timeout = 0.05
        self.dtr = self.rts = True
        self._rx = bytearray()
        self._ready_at = 0.0
        self._line_free = 0.0

    def _byte_time(self) -> float:
        return 10.0 / self.baudrate if self.simulate_line else 0.0

    def write(self, data: bytes) -> int:
        now = time.monotonic()
        start = max(now, self._line_free)
        arrived = start + len(data) * self._byte_time()
        self._line_free = arrived
        if self.baudrate != self.device.baudrate:
            return len(data)  # wrong rate: the board sees noise
        reply = self.device.feed(bytes(data))
        self.device.take_pending_baudrate()
        if reply:
            self._rx += reply
            self._ready_at = arrived + len(reply) * self._byte_time()
        return len(data)

    def _wait_ready(self, limit: float) -> None:
        delay = self._ready_at - time.monotonic()
        if delay > 0:
            time.sleep(min(delay, limit))

    @property
    def in_waiting(self) -> int:
        return len(self._rx) if time.monotonic() >= self._ready_at else 0

    def read(self, size: int = 1) -> bytes:
        if not self._rx:
            time.sleep(self.timeout)
            return b""
        self._wait_ready(self.timeout)
        if time.monotonic() < self._ready_at:
            return b""
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def reset_input_buffer(self) -> None:
        self._rx.clear()

    def close(self) -> None:
        pass


def run(mib: int, baud: int, simulate_line: bool, verify: bool) -> str:
    size = mib * 1024 * 1024
    device = IspDevice(FlashImage(size=max(16 * 1024 * 1024, size)))
    port = LinePort(device, simulate_line)
    data = os.urandom(size)
    options = FlashOptions(board="none", baudrate=baud, verify=verify, skip_unchanged=verify)
    report = Flasher(port, options).run([(0, data)])
    ok = device.flash.read(0, size) == data
    rate = size / report.elapsed
    line = baud / 10
    where = f"line {baud} baud = {line / 1024:.1f} KiB/s" if simulate_line else "no line delay"
    return (f"{mib} MiB in {report.elapsed:.2f} s = {rate / 1024:.1f} KiB/s ({where}"
            + (f", {100 * rate / line:.0f}% of line rate" if simulate_line else "")
            + f"); verified={report.verified}; content {'ok' if ok else 'WRONG'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=4)
    parser.add_argument("--baud", type=int, default=1500000)
    parser.add_argument("--no-line", action="store_true", help="no simulated line delay")
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()
    print(run(args.mib, args.baud, not args.no_line, not args.no_verify))


if __name__ == "__main__":
    main()
