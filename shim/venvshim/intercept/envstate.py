"""What is at an environment path: a venv, a remnant of a failed uv deletion, or user data.

The rule that protects users (promise 1): only a directory that is recognisably a virtual
environment or a uv remnant may ever be tombstoned; anything else is left for uv to report.
"""

from __future__ import annotations

import os
from pathlib import Path

VENV = "venv"  # has pyvenv.cfg and a python executable
REMNANT = "remnant"  # half-deleted by uv (pyvenv.cfg without python, or a uv skeleton)
MISSING = "missing"  # absent, or an empty directory (uv creates it in place)
FOREIGN = "foreign"  # anything else: never touched

# Entries uv itself puts in a venv (crates/uv-virtualenv); a remnant holds nothing else.
_UV_ENTRIES = frozenset(
    {"pyvenv.cfg", ".gitignore", "CACHEDIR.TAG", ".lock", "bin", "Scripts", "lib", "Lib",
     "lib64", "include", "Include", "share"}
)  # fmt: skip
_PYTHONS = ("bin/python", "bin/python3", "Scripts/python.exe")


class EnvState:
    __slots__ = ("kind", "path", "real_dir")

    def __init__(self, kind: str, path: Path, real_dir: Path) -> None:
        self.kind = kind
        self.path = path  # what the user's project names (.venv, maybe a link)
        self.real_dir = real_dir  # the directory that would be tombstoned

    def __repr__(self) -> str:
        return f"EnvState({self.kind}, {self.path}, real_dir={self.real_dir})"


def _redirect_target(path: Path) -> Path | None:
    """uv 0.13's experimental redirect file: a small regular file holding a directory path."""
    try:
        if path.stat().st_size > 4096:
            return None
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text or "\n" in text:
        return None
    target = (path.parent / text).resolve()
    return target if target.is_dir() else None


def _has_python(directory: Path) -> bool:
    # lexists: a dangling bin/python link still marks a venv (its interpreter was removed).
    return any(os.path.lexists(directory / p) for p in _PYTHONS)


def interpreter_gone(directory: Path) -> bool:
    """The env's python is a link to an interpreter that no longer exists."""
    return any(
        os.path.islink(directory / p) and not os.path.exists(directory / p) for p in _PYTHONS
    ) and not any(os.path.exists(directory / p) for p in _PYTHONS)


def _looks_like_uv_skeleton(directory: Path, names: set[str]) -> bool:
    if not names <= _UV_ENTRIES:
        return False
    gitignore = directory / ".gitignore"
    marked = "CACHEDIR.TAG" in names or (
        gitignore.is_file() and gitignore.read_text(errors="replace").strip() == "*"
    )
    has_layout = bool(names & {"bin", "Scripts", "lib", "Lib"})
    return marked and has_layout


def classify(path: Path) -> EnvState:
    """Classify the environment at `path`, following a `.venv` symlink or redirect file."""
    real = path
    if path.is_symlink():
        real = path.resolve()
    elif path.is_file():
        target = _redirect_target(path)
        if target is None:
            return EnvState(FOREIGN, path, path)
        real = target
    if not real.exists():
        return EnvState(MISSING, path, real)
    if not real.is_dir():
        return EnvState(FOREIGN, path, real)
    try:
        names = set(os.listdir(real))
    except OSError:
        return EnvState(FOREIGN, path, real)
    if not names:
        return EnvState(MISSING, path, real)
    if "pyvenv.cfg" in names:
        return EnvState(VENV if _has_python(real) else REMNANT, path, real)
    if _looks_like_uv_skeleton(real, names):
        return EnvState(REMNANT, path, real)
    return EnvState(FOREIGN, path, real)
