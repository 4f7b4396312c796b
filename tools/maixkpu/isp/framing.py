"""ISP wire format shared by the K210 boot ROM and kflash's stage-2 flasher.

Frames are SLIP: 0xC0, payload with 0xDB -> DB DD and 0xC0 -> DB DC, 0xC0.
Requests (host -> board), little-endian: op u16, reserved u16, checksum u32 (CRC-32 of
bytes 8..end), address u32, length u32, data. Four requests go out as 13-byte "short"
frames with no valid checksum (op byte and twelve zeros): ROM NOP, stage-2 NOP, flash
status and reboot. Responses (board -> host): op u8, reason u8, and for DEBUG_INFO and
our extension opcodes a payload.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum

END = 0xC0
ESC = 0xDB
ESC_END = 0xDC
ESC_ESC = 0xDD

HEADER_SIZE = 16
SHORT_FRAME_SIZE = 13
ROM_CHUNK = 1024  # C3 payload limit
FLASH_CHUNK = 65536  # D4 payload limit


class Op(IntEnum):
    # boot ROM
    ECHO = 0xC1
    NOP = 0xC2
    MEMORY_WRITE = 0xC3
    MEMORY_READ = 0xC4
    MEMORY_BOOT = 0xC5
    CHANGE_BAUDRATE = 0xC6
    DEBUG_INFO = 0xD1
    # kflash stage-2
    FLASH_NOP = 0xD2
    FLASH_ERASE = 0xD3
    FLASH_WRITE = 0xD4
    REBOOT = 0xD5
    UARTHS_BAUDRATE_SET = 0xD6
    FLASH_INIT = 0xD7
    FLASH_ERASE_NONBLOCKING = 0xD8
    FLASH_STATUS = 0xD9
    # MaixKPU extensions: only the virtual board answers these (kflash's stage-2 has no
    # read-back command); a real board replies INVALID_COMMAND or nothing.
    EXT_FLASH_READ = 0xDA
    EXT_FLASH_SHA256 = 0xDC
    EXT_QUERY = 0xDD


class Status(IntEnum):
    DEFAULT = 0x00
    OK = 0xE0
    BAD_DATA_LEN = 0xE1
    BAD_DATA_CHECKSUM = 0xE2
    INVALID_COMMAND = 0xE3
    BAD_INIT = 0xE4
    BAD_ERASE = 0xE5
    BAD_WRITE = 0xE6
    FLASH_BUSY = 0xE7


# Requests that kflash (and we) send as 13-byte frames without a checksum.
SHORT_OPS = frozenset({Op.NOP, Op.FLASH_NOP, Op.FLASH_STATUS, Op.REBOOT})

# Capability bits in the EXT_QUERY reply.
CAP_SHA256 = 0x01
CAP_READ = 0x02
EXT_READ_MAX = 4096


def status_text(code: int) -> str:
    try:
        return Status(code).name.lower().replace("_", " ")
    except ValueError:
        return f"unknown status 0x{code:02x}"


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def slip_encode(payload: bytes) -> bytes:
    body = payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


class SlipDecoder:
    """Incremental SLIP decoder: feed arbitrary chunks, get whole payloads.

    Bytes before the first 0xC0 are discarded; after that every 0xC0 ends a frame and
    empty frames are dropped, so a lost delimiter costs at most the frames around it.
    An invalid escape keeps the raw bytes, which the checksum of the request then rejects.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._buf = bytearray()
        self._synced = False
        self._escape = False

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame held back."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        buf = self._buf
        for byte in data:
            if byte == END:
                if self._synced and buf:
                    frames.append(bytes(buf))
                buf.clear()
                self._synced = True
                self._escape = False
            elif not self._synced:
                continue
            elif self._escape:
                self._escape = False
                if byte == ESC_END:
                    buf.append(END)
                elif byte == ESC_ESC:
                    buf.append(ESC)
                else:
                    buf += bytes((ESC, byte))
            elif byte == ESC:
                self._escape = True
            else:
                buf.append(byte)
        return frames


@dataclass(frozen=True)
class Request:
    op: int
    address: int
    length: int
    data: bytes
    checksum_ok: bool
    short: bool  # a 13-byte (or otherwise truncated) frame

    @property
    def length_ok(self) -> bool:
        return self.length == len(self.data)


def pack_request(op: int, address: int = 0, data: bytes = b"") -> bytes:
    """Request payload with a CRC-32 over address, length and data (not SLIP-encoded)."""
    body = struct.pack("<II", address, len(data)) + data
    return struct.pack("<HHI", op, 0, crc32(body)) + body


def pack_short(op: int) -> bytes:
    """The 13-byte unchecked form kflash sends for NOP, status and reboot."""
    return bytes((op,)) + bytes(SHORT_FRAME_SIZE - 1)


def pack_u32_request(op: int, address: int, value: int) -> bytes:
    """Request whose data is one u32 (baud-rate changes, extension read/hash lengths)."""
    return pack_request(op, address, struct.pack("<I", value))


def parse_request(payload: bytes) -> Request | None:
    """Decode a request payload; None when it has no opcode at all."""
    if not payload:
        return None
    op = payload[0] | (payload[1] << 8 if len(payload) > 1 else 0)
    if len(payload) < HEADER_SIZE:
        return Request(op, 0, 0, b"", False, True)
    _, _, checksum, address, length = struct.unpack_from("<HHIII", payload)
    data = payload[HEADER_SIZE:]
    return Request(op, address, length, data, crc32(payload[8:]) == checksum, False)


@dataclass(frozen=True)
class Response:
    op: int
    reason: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.reason == Status.OK


def pack_response(op: int, reason: int, data: bytes = b"") -> bytes:
    return bytes((op & 0xFF, reason)) + data


def parse_response(payload: bytes) -> Response | None:
    """A response, or None when the frame is too short to hold op and reason."""
    if len(payload) < 2:
        return None
    return Response(payload[0], payload[1], payload[2:])
