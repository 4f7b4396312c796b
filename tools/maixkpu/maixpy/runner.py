"""Running an unmodified MaixPy script on the PC: ``KPU``, ``image``, ``sensor``, ``lcd`` are the
CPython emulations of this package, ``time``/``utime`` and ``gc`` MicroPython-like shims (the
virtual board's), the flash holds the given kfpkg files, the camera reads a picture or folder
and the LCD writes PNG files.

Only the script sees these modules (its imports go through its own ``__import__``), so the host
``time`` and ``gc`` stay untouched. ``while True`` camera loops end after ``frames`` snapshots:
the next ``sensor.snapshot()`` raises ``StopScript``, a BaseException that the script's own
``except Exception`` cannot swallow, and the run counts as finished.
"""
from __future__ import annotations

import builtins
import os
import time as host_time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Callable

from . import image, kpu, lcd, sensor
from .flash import HostFlash


class StopScript(BaseException):
    """Raised by the wrapped ``sensor.snapshot`` once the frame budget is spent."""


@dataclass
class ScriptOptions:
    """What ``maixkpu script`` sets up around a script."""

    kfpkgs: list[Path] = field(default_factory=list)
    camera: Path | None = None
    frames: int | None = None      # stop at the snapshot after this many; None: never
    lcd_out: Path | None = None
    lcd_every: int = 0


@dataclass
class ScriptResult:
    """How a run ended: snapshots taken, frames the LCD displayed, stopped by the budget, and
    the script's global variables at the end."""

    snapshots: int
    displayed: int
    stopped: bool
    variables: dict[str, Any] = field(default_factory=dict)


def _counting_sensor(frames: int | None, counter: list[int]) -> ModuleType:
    """``sensor`` whose snapshot stops the script after ``frames`` snapshots."""
    proxy = ModuleType("sensor", sensor.__doc__)
    proxy.__dict__.update({k: v for k, v in vars(sensor).items() if not k.startswith("__")})
    real = sensor.snapshot

    def snapshot(**kwargs: Any) -> image.Image:
        if frames is not None and counter[0] >= frames:
            raise StopScript(f"{frames} frames done")
        counter[0] += 1
        return real(**kwargs)

    proxy.snapshot = snapshot  # type: ignore[attr-defined]
    return proxy


def _shims() -> dict[str, ModuleType]:
    from maixkpu.vboard.board_modules import make_gc, make_time

    ctx: Any = SimpleNamespace(started=host_time.monotonic(), sleep=host_time.sleep)
    utime = make_time(ctx)
    return {"time": utime, "utime": utime, "gc": make_gc(ctx)}


def _script_import(modules: dict[str, ModuleType]) -> Callable[..., Any]:
    host_import = builtins.__import__

    def script_import(name: str, globals: Any = None, locals: Any = None,
                      fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and name in modules:
            return modules[name]
        return host_import(name, globals, locals, fromlist, level)

    return script_import


def prepare(options: ScriptOptions) -> HostFlash:
    """Fresh sensor / LCD / KPU state, the flash filled from the kfpkg files."""
    sensor.host_reset()
    lcd.host_reset()
    flash = HostFlash()
    for pkg in options.kfpkgs:
        flash.load_kfpkg(pkg)
    kpu.set_flash(flash)
    if options.camera is not None:
        sensor.configure_source(options.camera)
    if options.lcd_out is not None:
        lcd.configure_output(options.lcd_out, options.lcd_every)
    return flash


def run_script(path: str | os.PathLike[str], options: ScriptOptions) -> ScriptResult:
    """Runs the script at ``path``; its exceptions propagate, the frame budget does not."""
    script = Path(path)
    source = script.read_text(encoding="utf-8")
    prepare(options)
    counter = [0]
    modules: dict[str, ModuleType] = {"KPU": kpu, "image": image, "lcd": lcd,
                                      "sensor": _counting_sensor(options.frames, counter)}
    modules.update(_shims())
    script_builtins = dict(vars(builtins))
    script_builtins["__import__"] = _script_import(modules)
    namespace = {"__name__": "__main__", "__file__": str(script),
                 "__builtins__": script_builtins}
    stopped = False
    try:
        exec(compile(source, str(script), "exec"), namespace)
    except StopScript:
        stopped = True
    finally:
        kpu.set_flash(None)
    variables = {k: v for k, v in namespace.items() if not k.startswith("__")}
    return ScriptResult(snapshots=counter[0], displayed=lcd.frame_count(), stopped=stopped,
                        variables=variables)
