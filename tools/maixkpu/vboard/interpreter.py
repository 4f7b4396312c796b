"""Runs the board's Python code on the host CPython, MicroPython-style.

Design choice: code runs in a worker thread of the board's own process, in a globals dict whose
`__builtins__` is the board's (its own `__import__`, `print`, `open`). Ctrl-C raises
KeyboardInterrupt in that thread with `PyThreadState_SetAsyncExc`, which CPython checks between
bytecodes, so `while True: pass` stops; board sleeps also wake at once. A subprocess would
isolate better but costs a second interpreter start (numpy, the cffi core) per soft reset and
a pipe protocol for the flash reader, camera and LCD; one process keeps `KPU.load(offset)` a
plain function call. A thread stuck inside a long C call (e.g. one KPU inference) sees the
interrupt when that call returns.

Tracebacks are printed as MicroPython does: only frames of board code (files the board
compiled), `OSError: [Errno 2] ENOENT` for errno errors, `Name: ` for exceptions without
arguments.
"""
from __future__ import annotations

import ast
import builtins
import ctypes
import errno
import re
import threading
from collections.abc import Mapping
from types import CodeType, ModuleType, TracebackType
from typing import Any, Callable, Optional

from maixkpu.vboard.board_modules import BoardContext, ModuleFactory
from maixkpu.vboard.stdout_router import route_stdout

_REPL_PRINT = "__repl_print__"
_REMOVED_BUILTINS = ("exit", "quit", "copyright", "credits", "license", "input", "breakpoint")

Done = Callable[[Optional[str]], None]  # gets the traceback text, None after a clean run


class BoardAbort(BaseException):
    """Raised in running board code when the board is reset or stopped."""


def _async_raise(thread_id: int, exc_type: type[BaseException] | None) -> None:
    """Make `exc_type` pending in the thread (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type else None)


# -- MicroPython-style tracebacks ---------------------------------------------------------------

def exception_message(exc: BaseException) -> str:
    """The text after `Name: ` in a MicroPython traceback."""
    if isinstance(exc, OSError):
        # MicroPython raises OSError(errno): CPython keeps that number in args, not .errno
        code = exc.errno if isinstance(exc.errno, int) else (
            exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], int) else None)
        if code is not None:
            name = errno.errorcode.get(code)
            return f"[Errno {code}] {name}" if name else str(code)
    if isinstance(exc, SyntaxError):
        return exc.msg if exc.msg.startswith(("'", "unexpected", "unindent")) else "invalid syntax"
    if isinstance(exc, ZeroDivisionError):
        return "divide by zero"  # MicroPython's text for every zero division
    if not exc.args:
        return ""
    if len(exc.args) == 1:
        text = str(exc.args[0])
        if isinstance(exc, NameError):  # CPython: "is not defined"
            text = re.sub(r"^name '(.*)' is not defined.*", r"name '\1' isn't defined", text)
        return text
    return str(exc.args)


def format_exception(exc: BaseException, user_files: frozenset[str] | set[str]) -> str:
    """MicroPython's traceback text ("\\n" line ends) for `exc`.

    As on MicroPython, the header line only appears when there is a frame of board code.
    """
    frames = []
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename in user_files:
            frames.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}')
        tb = tb.tb_next
    if isinstance(exc, SyntaxError):
        frames.append(f'  File "{exc.filename}", line {exc.lineno}')
    lines = ["Traceback (most recent call last):", *frames] if frames else []
    lines.append(f"{type(exc).__name__}: {exception_message(exc)}")
    return "\n".join(lines) + "\n"


def _echo_expressions(tree: ast.Module) -> ast.Module:
    """Friendly-REPL semantics: every top-level expression statement prints its repr."""
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Expr):
            call = ast.Call(func=ast.Name(id=_REPL_PRINT, ctx=ast.Load()),
                            args=[stmt.value], keywords=[])
            tree.body[index] = ast.copy_location(ast.Expr(value=call), stmt)
    return ast.fix_missing_locations(tree)


class _Job:
    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.thread_id: int | None = None
        self.in_user_code = False
        self.interrupt_early = False  # Ctrl-C came before the code started


class Interpreter:
    """The board's VM: globals, loaded modules, and at most one running piece of code."""

    def __init__(self, modules: Mapping[str, ModuleFactory], context: BoardContext,
                 write: Callable[[str], None]) -> None:
        """`write` is the board's stdout; the context's `write` should call `self.write`."""
        self.modules = dict(modules)
        self.context = context
        self._write = write
        self._local = threading.local()
        self._lock = threading.Lock()
        self._generation = 0
        self._job: _Job | None = None
        self.user_files: set[str] = {"<stdin>"}
        self.reset()

    # -- VM state --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Soft reset: stop running code, fresh globals and modules."""
        self.abort()
        self.loaded: dict[str, ModuleType] = {}
        self.builtins = self._make_builtins()
        self.globals: dict[str, Any] = {"__name__": "__main__", "__builtins__": self.builtins}

    def _make_builtins(self) -> dict[str, Any]:
        table = dict(vars(builtins))
        for name in _REMOVED_BUILTINS:
            table.pop(name, None)
        table["__import__"] = self._import
        table["print"] = self._print
        table["open"] = self.context.fs.open
        table["help"] = self._help
        table[_REPL_PRINT] = self._repl_print
        return table

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._job is not None

    # -- output ----------------------------------------------------------------------------------
    def write(self, text: str) -> None:
        """Board stdout; output of code that was aborted by a reset is lost."""
        generation = getattr(self._local, "generation", None)
        if generation is None or generation == self._generation:
            self._write(text)

    def _print(self, *args: Any, sep: str | None = " ", end: str | None = "\n",
               file: Any = None, flush: bool = False) -> None:
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        text = sep.join(str(arg) for arg in args) + end
        if file is not None:
            file.write(text)
        else:
            self.context.write(text)

    def _repl_print(self, value: Any) -> None:
        if value is not None:
            self.context.write(repr(value) + "\n")

    def _help(self, obj: Any = None) -> None:
        if obj is None:
            self.context.write("Welcome to the MaixKPU virtual board (MaixPy-compatible).\n"
                               "Modules: " + ", ".join(sorted(self.modules)) + "\n")
        else:
            self.context.write(f"object {obj!r} is of type {type(obj).__name__}\n")

    # -- import ----------------------------------------------------------------------------------
    def _import(self, name: str, globals: Any = None, locals: Any = None,
                fromlist: Any = (), level: int = 0) -> ModuleType:
        if level:
            raise ImportError("can't perform relative import")
        module = self.loaded.get(name)
        if module is not None:
            return module
        factory = self.modules.get(name)
        if factory is not None:
            module = factory(self.context)
        else:
            module = self._import_file(name)
        self.loaded[name] = module
        return module

    def _import_file(self, name: str) -> ModuleType:
        """A .py module from the board's file system (cwd, then /flash, then /flash/lib)."""
        for folder in ("", "/flash", "/flash/lib"):
            path = f"{folder}/{name}.py" if folder else f"{name}.py"
            try:
                with self.context.fs.open(path, "r") as f:
                    source = f.read()
            except OSError:
                continue
            module = ModuleType(name)
            module.__dict__["__builtins__"] = self.builtins
            module.__file__ = f"{name}.py"
            code = self.compile(source, module.__file__, echo=False)
            exec(code, module.__dict__)
            return module
        raise ImportError(f"no module named '{name}'")

    # -- running ---------------------------------------------------------------------------------
    def compile(self, source: str, filename: str, echo: bool) -> CodeType:
        """Compile board code; `echo` prints top-level expression values (friendly REPL)."""
        self.user_files.add(filename)
        tree = ast.parse(source, filename, "exec")
        if echo:
            tree = _echo_expressions(tree)
        return compile(tree, filename, "exec")

    def run(self, source: str, filename: str, echo: bool, on_done: Done) -> None:
        """Start `source` in a worker thread; `on_done(traceback_text_or_None)` follows.

        `on_done` is not called when the code is aborted (reset/stop) before it ends.
        """
        with self._lock:
            if self._job is not None:
                raise RuntimeError("the board is already running code")
            self._generation += 1
            job = _Job(self._generation)
            self._job = job
        self.context.wake.clear()
        thread = threading.Thread(target=self._work, name="vboard-python", daemon=True,
                                  args=(job, source, filename, echo, on_done))
        thread.start()

    def _work(self, job: _Job, source: str, filename: str, echo: bool, on_done: Done) -> None:
        self._local.generation = job.generation
        job.thread_id = threading.get_ident()
        error: BaseException | None = None
        try:
            code = self.compile(source, filename, echo)
        except SyntaxError as exc:
            error = exc
        else:
            with self._lock:
                job.in_user_code = job.generation == self._generation and not job.interrupt_early
                if job.interrupt_early:
                    error = KeyboardInterrupt()
            if job.in_user_code:
                try:
                    with route_stdout(self.context.write):
                        exec(code, self.globals)
                except BaseException as exc:  # everything is reported on the board
                    error = exc
        while True:  # a pending interrupt may land here; leave user code for good first
            try:
                self._leave_user_code(job)
                break
            except BaseException as exc:
                error = error or exc
        if isinstance(error, BoardAbort):
            return
        with self._lock:
            if job.generation != self._generation:
                return
            self._job = None
        if error is None or isinstance(error, SystemExit):
            on_done(None)
        else:
            on_done(format_exception(error, self.user_files))

    def _leave_user_code(self, job: _Job) -> None:
        with self._lock:
            was_inside = job.in_user_code
            job.in_user_code = False
            if was_inside and job.thread_id is not None:
                _async_raise(job.thread_id, None)

    def interrupt(self) -> bool:
        """Ctrl-C: KeyboardInterrupt in the running code. False when nothing runs."""
        with self._lock:
            job = self._job
            if job is None:
                return False
            if not job.in_user_code or job.thread_id is None:
                job.interrupt_early = True
                return True
            self.context.wake.set()
            _async_raise(job.thread_id, KeyboardInterrupt)
            return True

    def abort(self) -> None:
        """Reset/stop: end running code without a report; its later output is dropped."""
        with self._lock:
            self._generation += 1
            job, self._job = self._job, None
            if job is not None and job.in_user_code and job.thread_id is not None:
                self.context.wake.set()
                _async_raise(job.thread_id, BoardAbort)
