"""How the USB-serial DTR/RTS lines drive RESET and BOOT (IO16) on each Maix board type.

pyserial's `dtr = True` / `rts = True` mean the line is asserted. kflash's comments give two
wirings (spec isp-kfpkg-repl §1.2): "kd233" (RESET follows DTR, BOOT follows RTS) and "dan"
(the other way round).

Most boards put the two lines through a cross-coupled transistor pair, as ESP boards do: a
pin is pulled low only while its line is asserted *and the other one is not*. This model is
the only one under which every kflash reset sequence (§1.3) does what its name says *and* a
terminal that asserts both lines on open (pyserial's default, so mpremote) leaves the board
running. The old Maix Go CMSIS-DAP firmware (goD) interprets the lines itself; its sequence
only works with the direct "dan" wiring (each line alone pulls its pin), which is inferred.
"""
from __future__ import annotations

from dataclasses import dataclass

DTR, RTS = "dtr", "rts"


@dataclass(frozen=True)
class BoardProfile:
    """One wiring of the DTR/RTS lines to the K210's RESET and BOOT pins."""

    name: str
    reset_line: str  # DTR or RTS: the line that pulls RESET low
    cross_coupled: bool = True  # a pin is low only when its line alone is asserted
    description: str = ""

    @property
    def boot_line(self) -> str:
        return RTS if self.reset_line == DTR else DTR

    def pins(self, dtr: bool, rts: bool) -> tuple[bool, bool]:
        """(RESET held low, BOOT held low) for the given asserted states of the lines."""
        reset_asserted = dtr if self.reset_line == DTR else rts
        boot_asserted = rts if self.reset_line == DTR else dtr
        if self.cross_coupled:
            return reset_asserted and not boot_asserted, boot_asserted and not reset_asserted
        return reset_asserted, boot_asserted


_KD233 = "RESET on DTR, BOOT on RTS (cross-coupled)"
_DAN = "RESET on RTS, BOOT on DTR (cross-coupled)"

PROFILES: dict[str, BoardProfile] = {
    # kflash board types; kflash maps maixduino to goE
    "goE": BoardProfile("goE", DTR, description=_KD233 + ": Maix Go, Maixduino, Amigo, Cube"),
    "maixduino": BoardProfile("maixduino", DTR, description=_KD233),
    "kd233": BoardProfile("kd233", DTR, description=_KD233),
    "bit_mic": BoardProfile("bit_mic", DTR, description=_KD233),
    "dan": BoardProfile("dan", RTS, description=_DAN + ": Maix Dock"),
    "bit": BoardProfile("bit", RTS, description=_DAN + ": Maix Bit"),
    "trainer": BoardProfile("trainer", RTS, description=_DAN),
    "goD": BoardProfile("goD", RTS, cross_coupled=False,
                        description="RESET on RTS, BOOT on DTR, each line alone (inferred)"),
}

DEFAULT_PROFILE = "goE"


def get_profile(name: str) -> BoardProfile:
    """The profile called `name`; ValueError listing the known names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown board profile {name!r} (known: {known})") from None
