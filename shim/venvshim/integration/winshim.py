"""The Windows shim: `uv.exe`, venvshim's native front end, and the config file beside it.

uv.exe (intercept/front/uv_windows.c, built by front/build.sh and shipped as front/uv.exe) is a
real executable, never a .cmd (cmd.exe, Node and Ctrl+C treat those differently), and
byte-identical for everyone. What differs per install is in `venvshim-front.cfg` beside it: how
to start venvshim's Python (what uv.sh gets from @PYTHON@ and @BOOT@) and the state root's
default (uv.sh's @STATE_HOME@). The front end reads it strictly, with the conventions of the
verdict files (intercept/winverdicts.py): ASCII keywords, every string length-prefixed.

    venvshim-front 1
    python 44:C:\\Users\\me\\...\\venvshim\\Scripts\\python.exe
    arg 2:-I                       (zero or more: the arguments before REAL_UV SHIM PWD ARGS...)
    state 23:%LOCALAPPDATA%\\venvshim    (expanded by the front end; VENVSHIM_HOME overrides)
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from ..fs import write_atomic
from ..intercept.winverdicts import MAX_FILE

EXE = "uv.exe"
CONFIG = "venvshim-front.cfg"
MAX_ARGS = 16  # the front end's limit
# state.default_home on Windows, spelled for ExpandEnvironmentStringsW.
STATE_DEFAULT = "%LOCALAPPDATA%\\venvshim"


def front_exe() -> bytes:
    return resources.files("venvshim.intercept.front").joinpath("uv.exe").read_bytes()


def _s(text: str) -> bytes:
    data = text.encode("utf-8")
    if b"\0" in data:
        raise ValueError(f"NUL in {text!r}")
    return b"%d:%s" % (len(data), data)


def render_config(*, python: str, args: Sequence[str], state: str = STATE_DEFAULT) -> bytes:
    if not python or len(args) > MAX_ARGS:
        raise ValueError("a python path and at most 16 arguments")
    lines = [b"venvshim-front 1\n", b"python " + _s(python) + b"\n"]
    lines += [b"arg " + _s(a) + b"\n" for a in args]
    lines.append(b"state " + _s(state) + b"\n")
    data = b"".join(lines)
    if len(data) > MAX_FILE:
        raise ValueError("config too large")
    return data


def write_exe(target: Path, data: bytes) -> None:
    """Replace a file even while uv.exe runs from it: Windows lets a running exe be renamed."""
    write_atomic(target, data, mode=0o755, running_ok=True)


def install_files(shim_dir: Path, *, python: str, args: Sequence[str]) -> Path:
    """uv.exe and its config into shim_dir (which exists)."""
    write_exe(shim_dir / CONFIG, render_config(python=python, args=args))
    target = shim_dir / EXE
    write_exe(target, front_exe())
    return target
