"""The hardware-in-the-loop harness: a `Board` over a serial URL (raw REPL through mpremote's
`SerialTransport`), moving data onto it, board types, and a virtual board to run without one."""
from maixkpu.board.board import Board
from maixkpu.board.errors import BoardConnectionError, BoardError, BoardTimeout
from maixkpu.board.profiles import BOARD_TYPES, DEFAULT_BOARD, BoardType, board_type
from maixkpu.board.virtual import start_virtual_board

__all__ = ["BOARD_TYPES", "DEFAULT_BOARD", "Board", "BoardConnectionError", "BoardError",
           "BoardTimeout", "BoardType", "board_type", "start_virtual_board"]
