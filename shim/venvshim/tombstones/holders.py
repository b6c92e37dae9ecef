"""Who still uses a tombstone: one scan of the process table, matched against many tombstones.

A process holds a tombstone when its executable, working directory, an open file or a mapped file
lies under it, or (for processes started before the tombstone was made) its command line or
`VIRTUAL_ENV` names the environment's original path: a pure-Python process started from
`.venv/bin/python` on Linux maps nothing under the env (bin/python is a link to the base
interpreter), so only its argv/environment tell.

Linux reads /proc directly: psutil's `memory_maps()` parses smaps and is several times slower
(windows-and-holders.md). Elsewhere psutil provides the same facts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path


class Proc:
    """What one process refers to. `paths` are (kind, path) with kind exe/cwd/open/mapped."""

    __slots__ = ("cmdline", "created", "cwd", "name", "paths", "pid", "virtual_env")

    def __init__(
        self,
        pid: int,
        name: str,
        created: float,
        paths: list[tuple[str, str]],
        cmdline: list[str],
        virtual_env: str | None,
    ) -> None:
        self.pid = pid
        self.cwd = next((p for kind, p in paths if kind == "cwd"), None)
        self.name = name
        self.created = created
        self.paths = paths
        self.cmdline = cmdline
        self.virtual_env = virtual_env


class Holder:
    __slots__ = ("kind", "name", "path", "pid")

    def __init__(self, pid: int, name: str, kind: str, path: str) -> None:
        self.pid = pid
        self.name = name
        self.kind = kind
        self.path = path

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "kind": self.kind, "path": self.path}

    def describe(self) -> str:
        return f"pid {self.pid} ({self.name}): {self.kind} {self.path}"


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _names(arg: str, original: str, cwd: str | None) -> bool:
    """Does a command-line argument refer to `original`? (`.venv/bin/python` started from the
    project dir names it relatively; `--python=/p/.venv/bin/python` embeds it.)"""
    if original in os.path.normcase(arg):
        return True
    if cwd and not os.path.isabs(arg) and ("/" in arg or os.sep in arg):
        return _under(os.path.normcase(os.path.normpath(os.path.join(cwd, arg))), original)
    return False


def holders_of(
    procs: Iterable[Proc], tomb: str, *, original: str | None = None, since: float | None = None
) -> list[Holder]:
    """Processes holding the directory `tomb` (after `original` was renamed to it at `since`)."""
    tomb = os.path.normcase(os.path.abspath(tomb))
    found: list[Holder] = []
    for proc in procs:
        if proc.pid == os.getpid():
            continue
        hit = next(
            (
                Holder(proc.pid, proc.name, kind, path)
                for kind, path in proc.paths
                if _under(os.path.normcase(path.removesuffix(" (deleted)")), tomb)
            ),
            None,
        )
        if hit is None and original is not None and since is not None and proc.created <= since:
            orig = os.path.normcase(original)
            if proc.virtual_env and _under(os.path.normcase(proc.virtual_env), orig):
                hit = Holder(proc.pid, proc.name, "VIRTUAL_ENV", proc.virtual_env)
            else:
                arg = next((a for a in proc.cmdline if _names(a, orig, proc.cwd)), None)
                if arg is not None:
                    hit = Holder(proc.pid, proc.name, "cmdline", arg)
        if hit is not None:
            found.append(hit)
    return found


if sys.platform.startswith("linux"):

    def _readlink(path: str) -> str | None:
        try:
            return os.readlink(path)
        except OSError:
            return None

    def _maps(pid: str) -> list[str]:
        paths: list[str] = []
        try:
            with open(f"/proc/{pid}/maps", encoding="utf-8", errors="surrogateescape") as fh:
                for line in fh:
                    parts = line.split(None, 5)
                    if len(parts) == 6 and parts[5].startswith("/"):
                        paths.append(parts[5].rstrip("\n"))
        except OSError:
            pass
        return sorted(set(paths))

    def _environ_virtual_env(pid: str) -> str | None:
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                for item in fh.read().split(b"\0"):
                    if item.startswith(b"VIRTUAL_ENV="):
                        return os.fsdecode(item[len(b"VIRTUAL_ENV=") :])
        except OSError:
            pass
        return None

    _BOOT = None

    def _boot_time() -> float:
        global _BOOT
        if _BOOT is None:
            with open("/proc/stat") as fh:
                _BOOT = next(float(ln.split()[1]) for ln in fh if ln.startswith("btime"))
        return _BOOT

    def _created(pid: str) -> float:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def scan() -> list[Proc]:
        procs: list[Proc] = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            base = f"/proc/{pid}"
            paths: list[tuple[str, str]] = []
            for kind in ("exe", "cwd"):
                target = _readlink(f"{base}/{kind}")
                if target:
                    paths.append((kind, target))
            try:
                fds = os.listdir(f"{base}/fd")
            except OSError:
                fds = []
            for fd in fds:
                target = _readlink(f"{base}/fd/{fd}")
                if target and target.startswith("/"):
                    paths.append(("open", target))
            paths.extend(("mapped", p) for p in _maps(pid))
            try:
                with open(f"{base}/cmdline", "rb") as fh:
                    cmdline = [os.fsdecode(a) for a in fh.read().split(b"\0") if a]
                with open(f"{base}/comm", encoding="utf-8", errors="replace") as fh:
                    name = fh.read().strip()
            except OSError:
                continue  # exited while we looked
            procs.append(
                Proc(int(pid), name, _created(pid), paths, cmdline, _environ_virtual_env(pid))
            )
        return procs

else:

    def scan() -> list[Proc]:
        import psutil

        procs: list[Proc] = []
        attrs = ["pid", "name", "exe", "cwd", "create_time", "cmdline", "open_files"]
        for p in psutil.process_iter(attrs, ad_value=None):
            info = p.info
            paths: list[tuple[str, str]] = []
            if info.get("exe"):
                paths.append(("exe", info["exe"]))
            if info.get("cwd"):
                paths.append(("cwd", info["cwd"]))
            paths.extend(("open", f.path) for f in info.get("open_files") or ())
            try:
                paths.extend(("mapped", m.path) for m in p.memory_maps(grouped=True))
            except (psutil.Error, OSError, NotImplementedError):
                pass
            try:
                virtual_env = p.environ().get("VIRTUAL_ENV")
            except (psutil.Error, OSError):
                virtual_env = None
            procs.append(
                Proc(
                    info["pid"],
                    info.get("name") or "?",
                    info.get("create_time") or 0.0,
                    paths,
                    info.get("cmdline") or [],
                    virtual_env,
                )
            )
        return procs


def iter_tree(root: Path) -> Iterator[Path]:
    """Every path under root, without following links (for size accounting)."""
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    yield Path(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
        except OSError:
            continue


def tree_bytes(root: Path) -> int:
    total = 0
    for path in iter_tree(root):
        try:
            total += path.lstat().st_size
        except OSError:
            pass
    return total
