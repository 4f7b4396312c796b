"""DTR/RTS sequences that put a Maix board into the K210 boot ROM's ISP, or boot it.

USB-serial Maix boards wire DTR and RTS (through transistors) to RESET and BOOT (IO16);
"asserted" (True) drives the pin low. Two wirings exist (kflash's "kd233" and "dan"
families), plus the old Maix Go CMSIS-DAP ("goD") whose polarity is undocumented. Every
step is followed by a 0.1 s pause; within a step the lines change in the listed order
(the order matters: the ROM samples BOOT a moment after RESET is released).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

Step = tuple[tuple[str, bool], ...]
STEP_DELAY = 0.1


@dataclass(frozen=True)
class ResetSequence:
    name: str
    steps: tuple[Step, ...]

    def run(self, port: Any, delay: float = STEP_DELAY,
            sleep: Callable[[float], None] = time.sleep) -> None:
        for step in self.steps:
            for line, value in step:
                setattr(port, line, value)
            sleep(delay)


def _seq(name: str, *steps: Step) -> ResetSequence:
    return ResetSequence(name, tuple(steps))


F, T = False, True
ISP_KD233 = _seq("isp-kd233", (("dtr", F), ("rts", F)), (("dtr", T), ("rts", F)),
                 (("rts", T), ("dtr", F)))
BOOT_KD233 = _seq("boot-kd233", (("dtr", F), ("rts", F)), (("dtr", T), ("rts", F)),
                  (("rts", F), ("dtr", F)))
ISP_DAN = _seq("isp-dan", (("dtr", F), ("rts", F)), (("dtr", F), ("rts", T)),
               (("rts", F), ("dtr", T)))
BOOT_DAN = _seq("boot-dan", (("dtr", F), ("rts", F)), (("dtr", F), ("rts", T)),
                (("rts", F), ("dtr", F)))
ISP_GOD = _seq("isp-goD", (("dtr", T), ("rts", T)), (("rts", F), ("dtr", T)),
               (("rts", F), ("dtr", T)))
BOOT_GOD = _seq("boot-goD", (("dtr", F), ("rts", F)), (("rts", F), ("dtr", T)),
                (("rts", T), ("dtr", T)))
BOOT_MAIXGO = _seq("boot-maixgo", (("dtr", F), ("rts", F)), (("rts", F), ("dtr", T)),
                   (("rts", F), ("dtr", F)))


@dataclass(frozen=True)
class BoardProfile:
    """How to reach the ROM on one board type.

    `isp` holds the sequences tried in turn (one greeting after each); `detected` names
    the profile each of them stands for (auto detection); `fast_rom` marks FT2232 boards
    whose ROM can be switched to 1.5 Mbaud before the stage-2 upload.
    """

    name: str
    isp: tuple[ResetSequence, ...]
    boot: ResetSequence | None
    fast_rom: bool = False
    detected: tuple[str, ...] = ()


PROFILES: dict[str, BoardProfile] = {
    "kd233": BoardProfile("kd233", (ISP_KD233,), BOOT_KD233),
    "bit_mic": BoardProfile("bit_mic", (ISP_KD233,), BOOT_KD233),
    "goE": BoardProfile("goE", (ISP_KD233,), BOOT_MAIXGO, fast_rom=True),
    "dan": BoardProfile("dan", (ISP_DAN,), BOOT_DAN),
    "bit": BoardProfile("bit", (ISP_DAN,), BOOT_DAN),
    "trainer": BoardProfile("trainer", (ISP_DAN,), BOOT_DAN, fast_rom=True),
    "goD": BoardProfile("goD", (ISP_GOD,), BOOT_GOD),
    # kflash's auto order, kd233 twice on purpose (its authors found it more reliable)
    "auto": BoardProfile("auto", (ISP_DAN, ISP_KD233, ISP_GOD, ISP_KD233), None,
                         detected=("dan", "kd233", "goD", "kd233")),
}
PROFILES["maixduino"] = PROFILES["goE"]
BOARD_NAMES = ("auto", "kd233", "dan", "bit", "bit_mic", "goE", "goD", "maixduino", "trainer")
# Boards known to wire no reset lines at all (pty-like ports): reset is a no-op.
PROFILES["none"] = BoardProfile("none", (_seq("none"),), None)


def profile(name: str) -> BoardProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}: one of {', '.join(BOARD_NAMES)}, none") \
            from None
