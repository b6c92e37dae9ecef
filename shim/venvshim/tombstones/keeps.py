"""What a program still running from a replaced environment keeps, in words for people.

Pure: no I/O, no process scan. Give it what `holders.holders_of` found for one tombstone; the
switch notice, `venvshim status` and `venvshim doctor` print the lines it returns. The facts are
pinned by tests/e2e/test_running_process.py: a running program keeps what it has already loaded
or opened (its tombstone is kept for it), but whatever it looks up by path from now on (an
import not done yet, a file not opened yet, a child started from `sys.executable`) names `.venv`,
which is the new environment.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from .holders import Holder

_WHY = {
    "exe": "its executable",
    "open": "an open file",
    "mapped": "a loaded module",
    "cwd": "its working directory",
    "cmdline": "its command line names",
}


def why(holder: Holder) -> str:
    """Why one holder holds the old environment: "a loaded module /p/.venv.venvshim-tomb-…"."""
    if holder.kind == "VIRTUAL_ENV":
        return f"VIRTUAL_ENV={holder.path}"
    if holder.kind == "lock":
        return f"uv's lock {holder.path}"
    return f"{_WHY.get(holder.kind, holder.kind)} {holder.path}"


def process_lines(holders: Iterable[Holder]) -> list[str]:
    """One line per process, in the order first seen, with every reason it holds the env:
    "pid 4242 (python) still uses the old environment: a loaded module /…; an open file /…".
    A held uv lock (pid 0, `gc`) is one line of its own."""
    order: list[tuple[int, str]] = []
    reasons: dict[tuple[int, str], list[str]] = {}
    for holder in holders:
        key = (holder.pid, holder.name)
        if key not in reasons:
            order.append(key)
            reasons[key] = []
        reason = why(holder)
        if reason not in reasons[key]:
            reasons[key].append(reason)
    lines = []
    for pid, name in order:
        who = f"pid {pid} ({name})" if pid > 0 else f"a {name} command"
        lines.append(f"{who} still uses the old environment: {'; '.join(reasons[(pid, name)])}")
    return lines


def consequences(
    processes: int, *, original: str | None = None, windows: bool = sys.platform == "win32"
) -> list[str]:
    """What `processes` running programs keep, what they do not, and that they need a restart
    (no lines for none). `original` is the environment's path, now the new environment."""
    if processes <= 0:
        return []
    one = processes == 1
    it, keeps, has = ("It", "keeps", "has") if one else ("They", "keep", "have")
    env = original or "the environment's path"
    kept = "code and data in memory, loaded extension modules and executables"
    if windows:
        # An open file or a working directory inside the env stops the switch on Windows.
        site = original.rstrip("\\/") if original else ".venv"
        lazy = (
            f"{site}\\Lib\\site-packages names no Python version: such an import can load "
            "the new environment's files, built for another Python."
        )
    else:
        kept += ", open files, and a working directory inside the old environment"
        lazy = (
            "Such an import fails with ModuleNotFoundError if the Python version changed (the "
            "version is part of the path) and loads the new environment's file if it did not."
        )
    return [
        f"{it} {keeps} what {it.lower()} {has} already loaded or opened: {kept}.",
        f"{it} {'does' if one else 'do'} not keep what {it.lower()} {has} not loaded yet: "
        "imports not done yet, files not opened yet and programs started from sys.executable "
        f"resolve to {env}, which is now the new environment.",
        lazy,
        f"Restart {'it' if one else 'them'} to use the new environment.",
    ]


def explain(
    holders: Sequence[Holder],
    *,
    original: str | None = None,
    windows: bool = sys.platform == "win32",
) -> list[str]:
    """`process_lines`, then `consequences` for the running programs among them (a held uv
    lock is no program to restart). No holders, no lines."""
    programs = len({(h.pid, h.name) for h in holders if h.pid > 0})
    return process_lines(holders) + consequences(programs, original=original, windows=windows)
