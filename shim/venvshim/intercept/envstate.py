"""What is at an environment path: a venv, a leftover of a failed uv deletion, or user data.

The rule that protects users (promise 1): only a directory that is recognisably a virtual
environment or a leftover of uv's own deletion may ever be tombstoned; anything else is left for
uv to report.

A leftover without `pyvenv.cfg` is what uv before 0.8.1 leaves when a file is in use: it
deleted the top-level entries in directory order and stopped at the first failure, so on NTFS
(name order: `.gitignore`, `CACHEDIR.TAG`, `Lib`, `pyvenv.cfg` before `Scripts`) only
`Scripts\\python.exe` and whatever came after it remain, the seed of uv#13986. Such a directory
counts as uv's (REMNANT) only when every file in it is one uv or an installer put there: uv's
top-level names with their exact content, activation scripts and interpreter links in bin/,
entry points that name this environment's python or are uv trampolines, anything inside
`lib/pythonX.Y/site-packages` (or `Lib\\site-packages`), headers under `include/site`, package data
under `share/`; in bin/, anything when one of uv's activation scripts there names this directory;
plus files a running process holds right now (what made the deletion fail), and
at least one file only uv makes there (an activation script, an interpreter link, an entry point
of this env, a dist-info): `.gitignore` and `CACHEDIR.TAG` alone prove nothing. A single other
file (a `lib/data.csv`, a `bin/run.sh` beside no activation script of this very env) makes the
whole directory FOREIGN: never moved, uv reports it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

VENV = "venv"  # has pyvenv.cfg and a python executable
REMNANT = "remnant"  # left by a failed uv deletion (pyvenv.cfg without python, or see above)
MISSING = "missing"  # absent, or an empty directory (uv creates it in place)
FOREIGN = "foreign"  # anything else: never touched

_TOP = frozenset(
    {"bin", "Scripts", "lib", "Lib", "lib64", "include", "Include", "share", ".gitignore",
     "CACHEDIR.TAG", ".lock", "pyvenv.cfg"}
)  # fmt: skip
ACTIVATION = frozenset(
    {"activate", "activate.bat", "activate.csh", "activate.fish", "activate.nu", "activate.ps1",
     "activate.xsh", "activate_this.py", "deactivate.bat", "pydoc.bat"}
)  # fmt: skip
PYTHON_NAME = re.compile(r"^pythonw?(3(\.[0-9]+t?)?)?(\.exe)?$")
SITE = re.compile(r"^(lib|Lib)/(python[0-9.]+t?/)?site-packages(/|$)")
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
_PYTHONS = ("bin/python", "bin/python3", "Scripts/python.exe")
_SCAN_LIMIT = 20000  # entries: a bigger leftover is not one uv would leave


class EnvState:
    __slots__ = ("kind", "path", "real_dir")

    def __init__(self, kind: str, path: Path, real_dir: Path) -> None:
        self.kind = kind
        self.path = path  # what the user's project names (.venv, maybe a link)
        self.real_dir = real_dir  # the directory that would be tombstoned

    def __repr__(self) -> str:
        return f"EnvState({self.kind}, {self.path}, real_dir={self.real_dir})"


def _redirect_target(path: Path) -> Path | None:
    """uv 0.13.9's redirect file: a small regular file holding a directory path."""
    try:
        if path.stat().st_size > 4096:
            return None
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text or "\n" in text or "\0" in text:
        return None
    try:
        target = (path.parent / text).resolve()
    except (OSError, RuntimeError):
        return None
    return target if target.is_dir() else None


def _has_python(directory: Path) -> bool:
    # lexists: a dangling bin/python link still marks a venv (its interpreter was removed).
    return any(os.path.lexists(directory / p) for p in _PYTHONS)


def interpreter_gone(directory: Path) -> bool:
    """The env's python is a link to an interpreter that no longer exists."""
    return any(
        os.path.islink(directory / p) and not os.path.exists(directory / p) for p in _PYTHONS
    ) and not any(os.path.exists(directory / p) for p in _PYTHONS)


def classify(path: Path, *, redirect_files: bool = True) -> EnvState:
    """Classify the environment at `path`, following a `.venv` symlink, or a redirect file when
    this uv reads them. Never raises: a state uv handles itself (a link loop, no permission) is
    FOREIGN, for uv to report."""
    try:
        return _classify(path, redirect_files=redirect_files)
    except (OSError, RuntimeError, ValueError):
        return EnvState(FOREIGN, path, path)


def _classify(path: Path, *, redirect_files: bool) -> EnvState:
    real = path
    if path.is_symlink():
        real = path.resolve(strict=False)
    elif path.is_file():
        target = _redirect_target(path) if redirect_files else None
        if target is None:
            return EnvState(FOREIGN, path, path)
        real = target
    if not os.path.lexists(real):
        return EnvState(MISSING, path, real)
    if not real.is_dir():
        return EnvState(FOREIGN, path, real)
    names = set(os.listdir(real))
    if not names:
        return EnvState(MISSING, path, real)
    if "pyvenv.cfg" in names:
        return EnvState(VENV if _has_python(real) else REMNANT, path, real)
    if names <= _TOP and is_uv_leftover(real):
        return EnvState(REMNANT, path, real)
    return EnvState(FOREIGN, path, real)


def _is_trampoline(path: Path) -> bool:
    """uv's Windows launcher: `UVSC`/`UVPY` at the end (uv < 0.8), or its PE resources."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"MZ":
                return False
            fh.seek(-4, os.SEEK_END)
            if fh.read(4) in (b"UVSC", b"UVPY"):
                return True
            fh.seek(0)
            return "UV_TRAMPOLINE_KIND".encode("utf-16-le") in fh.read(4 << 20)
    except OSError:
        return False


def _names_this_env(path: Path, env_dir: Path) -> bool:
    """An entry point script whose shebang runs this environment's python."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False
    first = head.split(b"\n", 1)[0]
    if os.fsencode(str(env_dir)) in first:
        return True
    # uv's relocatable entry points: `#!/bin/sh` + `'''exec' "$(dirname -- "$(realpath ...`
    return first == b"#!/bin/sh" and b'\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"' in head


def _uv_made(rel: str, path: Path, env_dir: Path) -> tuple[bool, bool]:
    """(is this file one uv or an installer would put there, is it evidence only uv makes)."""
    top, _, rest = rel.partition("/")
    if rel == ".gitignore":  # uv's markers, but not proof: anyone can write these two
        return path.read_bytes().strip() == b"*", False
    if rel == "CACHEDIR.TAG":
        return path.read_bytes().startswith(CACHEDIR_SIGNATURE), False
    if rel == ".lock":
        return path.stat().st_size == 0, False
    if rel == "lib64":
        return os.path.islink(path) and os.readlink(path) == "lib", False
    if SITE.match(rel):
        return True, "/site-packages/" in rel and ".dist-info/" in rel
    if top in ("include", "Include"):
        return rest.startswith("site/"), False
    if top == "share":
        return True, False
    if top in ("bin", "Scripts") and "/" not in rest:
        if rest in ACTIVATION or PYTHON_NAME.match(rest):
            return True, True
        if _names_this_env(path, env_dir) or (
            rest.lower().endswith(".exe") and _is_trampoline(path)
        ):
            return True, True
    return False, False


def is_uv_leftover(directory: Path) -> bool:
    """Is `directory` (no pyvenv.cfg) entirely what a failed uv deletion leaves? See above."""
    unknown: list[str] = []
    evidence = False
    seen = 0
    for dirpath, dirnames, filenames in os.walk(directory):
        for name in list(dirnames):
            # a link is an entry to judge, never a tree to walk
            if os.path.islink(os.path.join(dirpath, name)):
                dirnames.remove(name)
                filenames.append(name)
        for name in filenames:
            seen += 1
            if seen > _SCAN_LIMIT:
                return False
            full = Path(dirpath, name)
            rel = full.relative_to(directory).as_posix()
            try:
                made, proof = _uv_made(rel, full, directory)
            except OSError:
                made, proof = False, False
            evidence = evidence or proof
            if not made:
                unknown.append(str(full))
        if dirpath != str(directory):
            rel_dir = Path(dirpath).relative_to(directory).as_posix()
            top = rel_dir.split("/", 1)[0]
            inside = SITE.match(rel_dir + "/") or top in ("include", "Include", "share")
            if top in ("lib", "Lib") and not inside and not _site_prefix(rel_dir):
                return False  # lib/<anything but pythonX.Y/site-packages>: the user's
    if not evidence:
        return False
    unknown = [u for u in unknown if not _bin_of_this_env(Path(u).parent, directory)]
    return not unknown or all(path in _held_under(directory) for path in unknown)


def _bin_of_this_env(parent: Path, env_dir: Path) -> bool:
    """Is `parent` this environment's bin/ (Scripts\\), proven by one of uv's activation scripts
    in it naming this very directory (`VIRTUAL_ENV='<env_dir>'`)? Then whatever else it holds
    was installed into the env (uv itself deletes it with the env on any replace)."""
    if parent.parent != env_dir or parent.name not in ("bin", "Scripts"):
        return False
    needle = os.fsencode(str(env_dir))
    for name in ("activate", "activate.bat", "activate.fish", "activate.csh", "activate.nu"):
        try:
            with open(parent / name, "rb") as fh:
                if needle in fh.read(1 << 16):
                    return True
        except OSError:
            continue
    return False


def _held_under(directory: Path) -> set[str]:
    """Files under `directory` that a running process has open, mapped or runs right now."""
    from ..tombstones import holders

    root = str(directory) + os.sep
    return {
        path.removesuffix(" (deleted)")
        for proc in holders.scan()
        for kind, path in proc.paths
        if kind in ("exe", "open", "mapped") and path.startswith(root)
    }


def _site_prefix(rel_dir: str) -> bool:
    """`lib`, `lib/python3.12`, `Lib`: directories on the way to site-packages."""
    parts = rel_dir.split("/")
    if parts[0] not in ("lib", "Lib") or len(parts) > 2:
        return False
    return len(parts) == 1 or re.match(r"^python[0-9.]+t?$", parts[1]) is not None
