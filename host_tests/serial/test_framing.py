"""SLIP framing and ISP request layout (spec section 2) under arbitrary chunking."""
from __future__ import annotations

import struct
import zlib

from hypothesis import given
from hypothesis import strategies as st

from maixkpu.isp.framing import (
    SlipDecoder,
    pack_request,
    pack_short,
    parse_request,
    slip_encode,
)


@given(st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=8),
       st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=40))
def test_slip_round_trip_with_any_chunking(payloads: list[bytes], cuts: list[int]) -> None:
    stream = b"noise before sync" + b"".join(slip_encode(p) for p in payloads)
    decoder = SlipDecoder()
    frames: list[bytes] = []
    pos = 0
    for cut in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        frames += decoder.feed(stream[pos:pos + cut])
        pos += cut
        if pos >= len(stream):
            break
    frames += decoder.feed(stream[pos:])
    assert frames == payloads


def test_escapes_follow_the_spec_order() -> None:
    assert slip_encode(b"\xdb\xc0") == b"\xc0\xdb\xdd\xdb\xdc\xc0"


def test_request_layout_and_checksum() -> None:
    payload = pack_request(0xD4, 0x300000, b"abc")
    op, reserved, crc, address, length = struct.unpack_from("<HHIII", payload)
    assert (op, reserved, address, length, payload[16:]) == (0xD4, 0, 0x300000, 3, b"abc")
    assert crc == zlib.crc32(payload[8:])
    req = parse_request(payload)
    assert req is not None and req.checksum_ok and req.length_ok and not req.short
    damaged = payload[:-1] + b"x"
    req = parse_request(damaged)
    assert req is not None and not req.checksum_ok


def test_short_frames_are_kflash_s_13_bytes() -> None:
    assert pack_short(0xC2) == b"\xc2" + bytes(12)
    req = parse_request(pack_short(0xD9))
    assert req is not None and req.op == 0xD9 and req.short
