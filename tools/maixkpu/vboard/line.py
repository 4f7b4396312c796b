"""The serial line between the board and its host: byte faults and an optional rate limit.

`FaultPlan` says what goes wrong (seeded, so a failing test replays exactly); `Line` applies it
to both directions and, with `line_rate=True`, delivers bytes no faster than the current baud
rate allows (10 bits per byte for 8N1), as a real UART does.
"""
from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Union

BITS_PER_BYTE = 10  # start + 8 data + stop
_PACE_SLICE = 0.005  # seconds of line time delivered per step when rate limited

Sink = Callable[[bytes], None]


@dataclass
class FaultPlan:
    """Faults on the line. Rates are per byte; counts are bytes from the host since start."""

    seed: int = 0
    drop_rate: float = 0.0  # board -> host bytes lost
    corrupt_rate: float = 0.0  # board -> host bytes with random bits flipped
    rx_drop_rate: float = 0.0  # host -> board bytes lost
    rx_corrupt_rate: float = 0.0  # host -> board bytes with random bits flipped
    stop_after: int | None = None  # the board hangs (deaf and mute) after this many bytes in
    reset_after: int | None = None  # the board resets once after this many bytes in

    def __post_init__(self) -> None:
        for name in ("drop_rate", "corrupt_rate", "rx_drop_rate", "rx_corrupt_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        for name in ("stop_after", "reset_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")

    @property
    def active(self) -> bool:
        return bool(self.drop_rate or self.corrupt_rate or self.rx_drop_rate
                    or self.rx_corrupt_rate or self.stop_after is not None
                    or self.reset_after is not None)


class ByteFaults:
    """Drops and corrupts bytes of one direction with a seeded RNG."""

    def __init__(self, drop_rate: float, corrupt_rate: float, rng: random.Random) -> None:
        self.drop_rate = drop_rate
        self.corrupt_rate = corrupt_rate
        self.rng = rng
        self.dropped = 0
        self.corrupted = 0

    def apply(self, data: bytes) -> bytes:
        if not (self.drop_rate or self.corrupt_rate):
            return data
        out = bytearray()
        for byte in data:
            if self.drop_rate and self.rng.random() < self.drop_rate:
                self.dropped += 1
                continue
            if self.corrupt_rate and self.rng.random() < self.corrupt_rate:
                byte ^= self.rng.randrange(1, 256)
                self.corrupted += 1
            out.append(byte)
        return bytes(out)


Item = Union[bytes, Callable[[], None]]


class Pacer:
    """Delivers bytes (and ordered events) to a sink at `rate()` bytes per second.

    With `rate` None the pacer is transparent: everything is delivered in the caller's thread.
    Otherwise a worker thread delivers; `discard()` drops bytes not delivered yet (events stay).
    """

    def __init__(self, sink: Sink, rate: Callable[[], float] | None, name: str) -> None:
        self._sink = sink
        self._rate = rate
        self._items: deque[Item] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if rate is not None:
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def put(self, item: Item) -> None:
        if self._thread is None:
            self._deliver(item)
            return
        with self._cond:
            if not self._closed:
                self._items.append(item)
                self._cond.notify()

    def discard(self) -> None:
        with self._cond:
            kept = [item for item in self._items if not isinstance(item, bytes)]
            self._items.clear()
            self._items.extend(kept)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _deliver(self, item: Item) -> None:
        if isinstance(item, bytes):
            if item:
                self._sink(item)
        else:
            item()

    def _next_slice(self) -> Item | None:
        """Wait for an item; bytes are cut to what the line carries in one time slice."""
        assert self._rate is not None
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait(0.5)
            if self._closed:
                return None
            head = self._items[0]
            if not isinstance(head, bytes):
                return self._items.popleft()
            count = max(1, int(self._rate() * _PACE_SLICE))
            if len(head) <= count:
                return self._items.popleft()
            self._items[0] = head[count:]
            return head[:count]

    def _run(self) -> None:
        assert self._rate is not None
        while True:
            item = self._next_slice()
            if item is None:
                return
            started = time.monotonic()
            self._deliver(item)
            if isinstance(item, bytes):
                # the line is busy for as long as these bytes take at the current baud
                wait = len(item) / self._rate() - (time.monotonic() - started)
                if wait > 0:
                    time.sleep(wait)


class Line:
    """Both directions of the board's UART with faults and optional pacing.

    `to_board` sinks receive host bytes (after rx faults), `to_host` sinks get board output.
    `baud()` gives the rate used for pacing (bytes/s = baud / 10).
    """

    def __init__(self, to_board: Sink, to_host: Sink, baud: Callable[[], int],
                 faults: FaultPlan | None = None, line_rate: bool = False) -> None:
        self.faults = faults if faults is not None else FaultPlan()
        rng = random.Random(self.faults.seed)
        self.tx_faults = ByteFaults(self.faults.drop_rate, self.faults.corrupt_rate, rng)
        self.rx_faults = ByteFaults(self.faults.rx_drop_rate, self.faults.rx_corrupt_rate, rng)

        def rate() -> float:
            return max(1, baud()) / BITS_PER_BYTE

        pace = rate if line_rate else None
        self._rx = Pacer(to_board, pace, "vboard-rx")
        self._tx = Pacer(to_host, pace, "vboard-tx")
        self._tx_lock = threading.Lock()  # keeps the RNG sequence of writers in order

    def from_host(self, data: bytes) -> None:
        self._rx.put(self.rx_faults.apply(data))

    def host_event(self, event: Callable[[], None]) -> None:
        """A line change (DTR/RTS/baud) that must act after the bytes received before it."""
        self._rx.put(event)

    def to_host(self, data: bytes) -> None:
        with self._tx_lock:
            self._tx.put(self.tx_faults.apply(data))

    def discard_output(self) -> None:
        """Drop board output not on the wire yet (an RFC 2217 purge of the receive buffer)."""
        self._tx.discard()

    def close(self) -> None:
        self._rx.close()
        self._tx.close()
