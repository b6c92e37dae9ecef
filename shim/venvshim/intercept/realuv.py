"""Find the real uv: VENVSHIM_REAL_UV, else the first `uv` on PATH that is not a venvshim shim.

Platform facts come in as arguments (`env`, `pathext`) so tests can fake Windows on Linux.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import VenvshimError

SHIM_MARKER = b"venvshim-shim"  # in the first bytes of every shim we write
SHIM_DIR_MARKER = ".venvshim-shim-dir"  # a file in every directory that holds our shim


def is_shim(path: Path) -> bool:
    if (path.parent / SHIM_DIR_MARKER).exists():
        return True
    try:
        with path.open("rb") as fh:
            return SHIM_MARKER in fh.read(512)
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def uv_names(env: Mapping[str, str], *, windows: bool) -> list[str]:
    """The file names `uv` has on PATH: `uv`, or on Windows `uv` + PATHEXT's .exe/.com (a .cmd
    or .bat shim is never what CreateProcess finds for a bare `uv`)."""
    if not windows:
        return ["uv"]
    exts = [e.lower() for e in env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if e]
    return [f"uv{e}" for e in exts if e in (".exe", ".com")] or ["uv.exe"]


def uv_on_path(env: Mapping[str, str], *, windows: bool = os.name == "nt") -> list[Path]:
    """Every `uv` executable on PATH, in lookup order (the one PATH search of venvshim)."""
    names = uv_names(env, windows=windows)
    found: list[Path] = []
    for entry in env.get("PATH", "").split(";" if windows else ":"):
        for name in names:
            candidate = Path(entry or ".") / name
            if candidate in found or not candidate.is_file():
                continue
            if windows or os.access(candidate, os.X_OK):
                found.append(candidate)
    return found


def find_real_uv(
    *, env: Mapping[str, str], skip: Path | None = None, windows: bool = os.name == "nt"
) -> Path:
    explicit = env.get("VENVSHIM_REAL_UV")
    if explicit:
        path = Path(explicit)
        if not path.is_file() or not os.access(path, os.X_OK) or is_shim(path):
            raise VenvshimError(
                f"VENVSHIM_REAL_UV names `{explicit}`, which is not the real uv (not an "
                "executable file, or venvshim's own shim)",
                hint="point VENVSHIM_REAL_UV at the real uv binary, or unset it; "
                "'venvshim doctor' shows which uv it finds",
                code=2,
            )
        return path
    for candidate in uv_on_path(env, windows=windows):
        if skip is not None and _same_file(candidate, skip):
            continue
        if not is_shim(candidate):
            return candidate
    raise VenvshimError(
        "cannot find the real uv on PATH (only venvshim's own shim is there)",
        hint="install uv (https://docs.astral.sh/uv/getting-started/installation/) "
        "or set VENVSHIM_REAL_UV to its path",
    )
