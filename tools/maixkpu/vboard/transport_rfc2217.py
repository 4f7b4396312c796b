"""The board's serial port as an RFC 2217 server on 127.0.0.1 (pyserial's `PortManager`).

A client (`serial.serial_for_url("rfc2217://127.0.0.1:N")`, mpremote, kflash through a
launcher) sees a real serial port: its DTR/RTS changes and baud rate reach the board, in order
with the data. One client at a time: a new connection replaces the old one (kflash closes and
reopens the port after every receive timeout). Lines keep their last state when a client
leaves; the next client's open sets them again (pyserial asserts DTR, then RTS).
"""
from __future__ import annotations

import logging
import socket
import threading
from typing import Callable, Protocol

import serial
import serial.rfc2217

_LOG = logging.getLogger("maixkpu.vboard.rfc2217")
_POLL = 0.2  # seconds between checks of the stop flag in blocking loops


class PortOwner(Protocol):
    """What the server needs of the board."""

    def host_bytes(self, data: bytes) -> None: ...
    def host_lines(self, dtr: bool, rts: bool) -> None: ...
    def host_baudrate(self, baudrate: int) -> None: ...
    def host_purge_output(self) -> None: ...


class _PortState:
    """The "serial port" PortManager drives: settings are forwarded to the board."""

    def __init__(self, owner: PortOwner, flush: Callable[[], None]) -> None:
        self._owner = owner
        self._flush = flush  # deliver data received before a setting changes
        self._baudrate = 115200
        self._dtr = False
        self._rts = False
        self.bytesize = serial.EIGHTBITS
        self.parity = serial.PARITY_NONE
        self.stopbits = serial.STOPBITS_ONE
        self.xonxoff = False
        self.rtscts = False
        self.break_condition = False
        self.cts = True
        self.dsr = True
        self.ri = False
        self.cd = True

    @property
    def baudrate(self) -> int:
        return self._baudrate

    @baudrate.setter
    def baudrate(self, value: int) -> None:
        if value <= 0:
            raise ValueError(f"invalid baud rate {value}")
        self._flush()
        self._baudrate = value
        self._owner.host_baudrate(value)

    @property
    def dtr(self) -> bool:
        return self._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._flush()
        self._dtr = bool(value)
        self._owner.host_lines(self._dtr, self._rts)

    @property
    def rts(self) -> bool:
        return self._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._flush()
        self._rts = bool(value)
        self._owner.host_lines(self._dtr, self._rts)

    def reset_input_buffer(self) -> None:
        self._owner.host_purge_output()  # the port's input = board output not yet sent

    def reset_output_buffer(self) -> None:
        self._flush()


class _Connection:
    """One TCP client: telnet/RFC 2217 filtering in, escaping out."""

    def __init__(self, sock: socket.socket, owner: PortOwner) -> None:
        self.sock = sock
        self.owner = owner
        self._send_lock = threading.Lock()
        self._pending = bytearray()
        self.closed = False
        self.port = _PortState(owner, self._flush_pending)
        self.manager = serial.rfc2217.PortManager(self.port, self)

    def write(self, data: bytes) -> None:
        """Raw telnet bytes to the client (PortManager's replies and escaped data)."""
        with self._send_lock:
            if self.closed:
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def send_data(self, data: bytes) -> None:
        self.write(b"".join(self.manager.escape(data)))

    def _flush_pending(self) -> None:
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            self.owner.host_bytes(data)

    def serve(self, stopping: threading.Event) -> None:
        self.sock.settimeout(_POLL)
        while not stopping.is_set() and not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            for byte in self.manager.filter(chunk):
                self._pending += byte
            self._flush_pending()
        self.close()

    def close(self) -> None:
        with self._send_lock:
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Rfc2217Server:
    """Listens on `host:port` (0 picks a free port); `url` is what clients open."""

    def __init__(self, owner: PortOwner, port: int = 0, host: str = "127.0.0.1") -> None:
        self.owner = owner
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(_POLL)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._client: _Connection | None = None
        self._threads: list[threading.Thread] = []
        self.connections = 0  # clients accepted so far

    @property
    def url(self) -> str:
        return f"rfc2217://{self.host}:{self.port}"

    def start(self) -> None:
        thread = threading.Thread(target=self._accept_loop, name="vboard-rfc2217", daemon=True)
        thread.start()
        self._threads.append(thread)

    def send(self, data: bytes) -> None:
        """Board output to the connected client; lost when nobody is connected."""
        client = self._client
        if client is not None:
            client.send_data(data)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(sock, self.owner)
            with self._lock:
                old, self._client = self._client, connection
                self.connections += 1
            if old is not None:
                old.close()
            thread = threading.Thread(target=self._serve, args=(connection,),
                                      name="vboard-rfc2217-client", daemon=True)
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _serve(self, connection: _Connection) -> None:
        try:
            connection.serve(self._stopping)
        except Exception:  # a broken client must not take the server down
            _LOG.exception("RFC 2217 client failed")
            connection.close()
        with self._lock:
            if self._client is connection:
                self._client = None

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)
