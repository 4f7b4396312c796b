"""The virtual Maix board: a K210 on a serial endpoint (RFC 2217 and/or a pty) with boot pins,
the boot ROM's ISP (kflash works against it) and a MaixPy-compatible MicroPython REPL whose
code runs on the host (mpremote works against it)."""
from maixkpu.vboard.board import VirtualBoard
from maixkpu.vboard.board_modules import BoardContext, ModuleFactory, default_modules
from maixkpu.vboard.line import FaultPlan
from maixkpu.vboard.profiles import PROFILES, BoardProfile

__all__ = ["PROFILES", "BoardContext", "BoardProfile", "FaultPlan", "ModuleFactory",
           "VirtualBoard", "default_modules"]
