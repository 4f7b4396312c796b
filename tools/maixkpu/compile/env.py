"""The Python 3.10 virtual environment that runs nncase 1.9 (PyPI ships nncase 1.9 wheels for
CPython 3.6-3.10 only, and its K210 target is inside the `nncase` wheel itself).

The environment lives in $MAIXKPU_NNCASE_VENV or ~/.cache/maixkpu/nncase-1.9 and is created on
first use from pyenv's 3.10 (~/.pyenv/versions/3.10*/bin/python3.10) or any `python3.10` on
PATH. A stamp file records what was installed so later calls start at once.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

NNCASE_VERSION = "1.9.0.20230322"
# onnx does the shape inference nncase's importer needs; numpy<2 for nncase's binding
REQUIREMENTS = (f"nncase=={NNCASE_VERSION}", "numpy<2", "onnx")
ENV_VARIABLE = "MAIXKPU_NNCASE_VENV"
PYTHON_VARIABLE = "MAIXKPU_PYTHON310"
STAMP = "maixkpu-nncase.stamp"


class NncaseEnvError(RuntimeError):
    """The nncase environment cannot be found or created (the message says what to do)."""


def venv_dir() -> Path:
    """Where the nncase environment is (or will be)."""
    custom = os.environ.get(ENV_VARIABLE)
    if custom:
        return Path(custom).expanduser()
    return Path.home() / ".cache" / "maixkpu" / "nncase-1.9"


def venv_python(venv: Path | None = None) -> Path:
    venv = venv or venv_dir()
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def find_python310() -> Path | None:
    """A CPython 3.10 interpreter: $MAIXKPU_PYTHON310, pyenv's newest 3.10, python3.10 on PATH."""
    custom = os.environ.get(PYTHON_VARIABLE)
    if custom:
        return Path(custom)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(glob.glob(str(pyenv_root / "versions" / "3.10*" / "bin" / "python3.10")),
                   key=_version_key)
    if found:
        return Path(found[-1])
    which = shutil.which("python3.10")
    if which and _runs(Path(which)):  # a pyenv shim without 3.10 installed fails here
        return Path(which)
    return None


def _version_key(path: str) -> tuple[int, ...]:
    name = Path(path).parent.parent.name  # "3.10.13"
    return tuple(int(p) if p.isdigit() else 0 for p in name.split("."))


def _runs(python: Path) -> bool:
    try:
        out = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() == "(3, 10)"


def is_ready(venv: Path | None = None) -> bool:
    """True when the environment exists with the expected nncase."""
    venv = venv or venv_dir()
    stamp = venv / STAMP
    return venv_python(venv).exists() and stamp.is_file() and \
        stamp.read_text().strip() == " ".join(REQUIREMENTS)


def ensure_env(log: Callable[[str], None] | None = None) -> Path:
    """The environment's python, creating the environment first if needed.

    Creating it downloads about 30 MB from PyPI (nncase, numpy, onnx) and takes under a minute.
    """
    venv = venv_dir()
    if is_ready(venv):
        return venv_python(venv)
    base = find_python310()
    if base is None:
        raise NncaseEnvError(
            "nncase 1.9 needs CPython 3.10 (PyPI has no nncase 1.9 wheel for newer Pythons) and "
            "none was found: install it (e.g. `pyenv install 3.10`), put python3.10 on PATH, or "
            f"set {PYTHON_VARIABLE} to its path, or point {ENV_VARIABLE} at an existing "
            f"environment with {' '.join(REQUIREMENTS)} installed")
    say = log or (lambda text: print(text, file=sys.stderr))
    say(f"creating the nncase {NNCASE_VERSION} environment in {venv} (Python {base}) ...")
    _run([str(base), "-m", "venv", "--clear", str(venv)], "create the virtual environment")
    _run([str(venv_python(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          *REQUIREMENTS], "install nncase from PyPI")
    (venv / STAMP).write_text(" ".join(REQUIREMENTS) + "\n")
    return venv_python(venv)


def _run(cmd: list[str], what: str) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    except OSError as exc:
        raise NncaseEnvError(f"could not {what}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise NncaseEnvError(f"could not {what} ({' '.join(cmd[:3])} ...):\n" + "\n".join(tail))
