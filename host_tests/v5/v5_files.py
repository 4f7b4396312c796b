"""An independent reader of kmodel V5 files for the tests (spec kmodel-v4-v5.md Part B, C2, D1):
where the modules, functions, sections and instructions are, so tests can patch precise bytes.
It trusts the file (tests give it nncase's output)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

# operand bytes after the opcode of the scalar stackvm instructions (spec C2)
SCALAR_OPERANDS = {0x02: 4, 0x05: 4, 0x16: 5, 0x17: 6, 0x28: 4, 0x31: 2, 0x32: 2, 0x56: 4,
                   0x57: 4, 0x58: 4, 0x5A: 5, 0x5B: 1}
# operand bytes after the u16 function code (v1.9 numbering, spec C3)
TENSOR_OPERANDS = {0x00: 6, 0x01: 16, 0x02: 5, 0x03: 8, 0x04: 8, 0x06: 25, 0x08: 5, 0x09: 4,
                   0x0A: 8, 0x0B: 5, 0x0C: 7, 0x0D: 7, 0x0E: 7, 0x10: 6, 0x11: 14, 0x12: 6,
                   0x13: 6, 0x14: 5, 0x15: 14, 0x16: 14, 0x17: 7, 0x18: 9, 0x19: 6, 0x1A: 25,
                   0x1B: 7, 0x1C: 16, 0x1D: 4, 0x1E: 7, 0x1F: 12, 0x20: 6, 0x22: 8, 0x23: 21,
                   0x24: 5, 0x25: 11, 0x26: 5, 0x27: 4, 0x28: 44, 0x29: 10, 0x2A: 6, 0x2B: 6}
K210_SIZES = {0: 44, 1: 44, 2: 152, 3: 76}


@dataclass
class Function:
    offset: int
    entry: int
    text_size: int


@dataclass
class Module:
    kind: str
    offset: int
    size: int
    functions: list[Function] = field(default_factory=list)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (start, size)

    def code(self, data: bytes, fn: int) -> tuple[int, bytes]:
        """(file offset, bytes) of function fn's code."""
        start = self.sections[".text"][0] + self.functions[fn].entry
        return start, data[start:start + self.functions[fn].text_size]


def parse(data: bytes) -> list[Module]:
    count = struct.unpack_from("<I", data, 20)[0]
    at = 32
    modules = []
    for _ in range(count):
        kind = data[at:at + 16].rstrip(b"\0").decode()
        size, mempools, _shared, sections, functions = struct.unpack_from("<5I", data, at + 24)
        mod = Module(kind, at, size)
        p = at + 48 + 8 * mempools
        for _ in range(functions):
            fsize, = struct.unpack_from("<I", data, p + 4)
            entry, text_size = struct.unpack_from("<2I", data, p + 24)
            mod.functions.append(Function(p, entry, text_size))
            p += fsize
        for _ in range(sections):
            name = data[p:p + 16].rstrip(b"\0").decode()
            _flags, body_start, body_size = struct.unpack_from("<3I", data, p + 16)
            p += 32
            mod.sections[name] = (p + body_start, body_size)
            p += body_start + body_size
        modules.append(mod)
        at += size
    return modules


def stackvm_instructions(data: bytes) -> list[tuple[int, int, int | None]]:
    """(file offset, opcode, tensor function or None) of the entry function's instructions."""
    mod = parse(data)[0]
    start, code = mod.code(data, 0)
    out = []
    pc = 0
    while pc < len(code):
        op = code[pc]
        if op == 0x5E:
            funct = code[pc + 1] | (code[pc + 2] << 8)
            out.append((start + pc, op, funct))
            pc += 3 + TENSOR_OPERANDS[funct]
        else:
            out.append((start + pc, op, None))
            pc += 1 + SCALAR_OPERANDS.get(op, 0)
    return out


def k210_instructions(data: bytes) -> list[tuple[int, int]]:
    """(file offset, opcode) of every instruction of every k210 function."""
    out = []
    for mod in parse(data):
        if mod.kind != "k210":
            continue
        for fn in range(len(mod.functions)):
            start, code = mod.code(data, fn)
            pc = 0
            while pc < len(code):
                out.append((start + pc, code[pc]))
                pc += K210_SIZES[code[pc]]
    return out
