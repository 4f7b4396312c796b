"""Maix board types as the HIL harness sees them: reset wiring, baud rates, flash layout.

Like esptool's chip table, a board is mostly constants. `isp_board` names the wiring in
`maixkpu.isp.reset` (kflash's board types) used to reach the boot ROM; `app_reset` is the
DTR/RTS sequence that restarts the board into the application (BOOT high) and `vboard_profile`
the matching wiring of the virtual board. `generic` touches no reset line at all.
"""
from __future__ import annotations

from dataclasses import dataclass

from maixkpu.isp.reset import BOOT_DAN, BOOT_KD233, BOOT_MAIXGO, ResetSequence

REPL_BAUD = 115200  # MaixPy's REPL and the boot ROM
FAST_FLASH_BAUD = 1500000  # what kflash_gui uses on every Maix board
FLASH_SIZE = 16 * 1024 * 1024
MODEL_ADDRESS = 0x300000  # MaixPy's conventional first kmodel slot


@dataclass(frozen=True)
class BoardType:
    name: str
    isp_board: str  # maixkpu.isp.reset profile for flashing
    app_reset: ResetSequence | None  # None: no lines wired (reset by hand)
    vboard_profile: str  # maixkpu.vboard profile with the same wiring
    repl_baud: int = REPL_BAUD
    flash_baud: int = FAST_FLASH_BAUD
    flash_size: int = FLASH_SIZE
    description: str = ""


BOARD_TYPES: dict[str, BoardType] = {
    "maix_bit": BoardType("maix_bit", "bit", BOOT_DAN, "bit",
                          description="Sipeed Maix Bit (CH340/CH552, RESET on RTS)"),
    "maix_dock": BoardType("maix_dock", "dan", BOOT_DAN, "dan",
                           description="Sipeed Maix Dock (CH340, RESET on RTS)"),
    "maix_go": BoardType("maix_go", "goE", BOOT_MAIXGO, "goE",
                         description="Sipeed Maix Go, open-ec / new CMSIS-DAP (FT2232)"),
    "maixduino": BoardType("maixduino", "goE", BOOT_MAIXGO, "maixduino",
                           description="Sipeed Maixduino (FT2232, RESET on DTR)"),
    "amigo": BoardType("amigo", "goE", BOOT_MAIXGO, "goE",
                       description="Sipeed Maix Amigo (FT2232, RESET on DTR)"),
    "cube": BoardType("cube", "goE", BOOT_MAIXGO, "goE",
                      description="Sipeed Maix Cube (FT2232, RESET on DTR)"),
    "kd233": BoardType("kd233", "kd233", BOOT_KD233, "kd233",
                       description="Kendryte KD233 (RESET on DTR)"),
    "generic": BoardType("generic", "auto", None, "goE", flash_baud=REPL_BAUD,
                         description="unknown wiring: no reset lines, ISP by auto detection"),
}
DEFAULT_BOARD = "generic"


def board_type(name: str) -> BoardType:
    """The board type called `name`; ValueError listing the known names otherwise."""
    try:
        return BOARD_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(BOARD_TYPES))
        raise ValueError(f"unknown board {name!r} (known: {known})") from None
