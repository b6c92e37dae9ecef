"""Who still uses a tombstone: one scan of the process table, matched against many tombstones.

A process holds a tombstone when its executable, working directory, an open file or a mapped file
lies under it, or, for a process started before the tombstone was made, anything it was started
with names the environment's original path: its command line (an argument, `--python=…`, a
relative `.venv/bin/python` resolved against the directory it runs in now and the one it was
started in, `$PWD`; a bare `python` looked up on its own PATH), or VIRTUAL_ENV, PYTHONHOME,
PYTHONPATH, CONDA_PREFIX in its environment; each also through symlinked parent directories. A
pure-Python process started from `.venv/bin/python` on Linux maps nothing under the env
(bin/python is a link to the base interpreter), so only these tell.

Linux reads /proc directly: psutil's `memory_maps()` parses smaps and is several times slower
(windows-and-holders.md). Elsewhere psutil provides the same facts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Environment variables of a process that say which environment it runs from.
ENV_PATHS = ("VIRTUAL_ENV", "PYTHONHOME", "CONDA_PREFIX")
ENV_PATH_LISTS = ("PYTHONPATH",)
WANTED_ENV = (*ENV_PATHS, *ENV_PATH_LISTS, "PATH", "PWD")


class Proc:
    """What one process refers to. `paths` are (kind, path) with kind exe/cwd/open/mapped;
    `environ` holds the WANTED_ENV variables it was started with."""

    __slots__ = ("cmdline", "created", "cwd", "environ", "name", "normed", "paths", "pid", "said")

    def __init__(
        self,
        pid: int,
        name: str,
        created: float,
        paths: list[tuple[str, str]],
        cmdline: list[str],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.pid = pid
        self.cwd = next((p for kind, p in paths if kind == "cwd"), None)
        self.name = name
        self.created = created
        self.paths = paths
        # normalised once, compared with every tombstone
        self.normed = [os.path.normcase(p.removesuffix(" (deleted)")) for _, p in paths]
        self.cmdline = cmdline
        self.environ = dict(environ or {})
        # all it was started with, in one string: most processes never name the env's base name
        self.said = os.path.normcase("\0".join([*self.environ.values(), *cmdline]))


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


class _Original:
    """The environment's original path, and the cheap tests of whether a path names it."""

    def __init__(self, original: str) -> None:
        self.path = os.path.normcase(os.path.normpath(original))
        self.parent, self.base = os.path.split(self.path)
        self._real_parent = os.path.normcase(os.path.realpath(self.parent))
        self._parents: dict[str, bool] = {}

    def mentioned(self, text: str) -> bool:
        return self.base in os.path.normcase(text)

    def names(self, path: str, *bases: str | None) -> bool:
        """Does `path` (absolute, or relative to one of `bases`) lie in the environment? The
        environment's own name is compared as written (after the swap `.venv` is the NEW env);
        only the directories above it are resolved, for a project reached through a link."""
        candidates = [path] if os.path.isabs(path) else [os.path.join(b, path) for b in bases if b]
        for candidate in candidates:
            norm = os.path.normcase(os.path.normpath(candidate))
            if _under(norm, self.path):
                return True
            head = norm
            while True:
                head, tail = os.path.split(head)
                if not tail:
                    break
                if tail == self.base and self._same_parent(head):
                    return True
        return False

    def _same_parent(self, directory: str) -> bool:
        if directory not in self._parents:
            real = os.path.normcase(os.path.realpath(directory))
            self._parents[directory] = real in (self.parent, self._real_parent)
        return self._parents[directory]


def _started_from(proc: Proc, orig: _Original) -> Holder | None:
    """What in the way `proc` was started names the environment, if anything."""
    env = proc.environ
    start = env.get("PWD")
    for name in ENV_PATHS:
        value = env.get(name)
        if value and orig.mentioned(value) and orig.names(value, start, proc.cwd):
            return Holder(proc.pid, proc.name, name, value)
    for name in ENV_PATH_LISTS:
        for entry in env.get(name, "").split(os.pathsep):
            if entry and orig.mentioned(entry) and orig.names(entry, start, proc.cwd):
                return Holder(proc.pid, proc.name, name, entry)
    for arg in proc.cmdline:
        if not orig.mentioned(arg):
            continue
        if orig.path in os.path.normcase(arg):  # `--python=/p/.venv/bin/python`, ...
            return Holder(proc.pid, proc.name, "cmdline", arg)
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if ("/" in value or os.sep in value) and orig.names(value, proc.cwd, start):
            return Holder(proc.pid, proc.name, "cmdline", arg)
    argv0 = proc.cmdline[0] if proc.cmdline else ""
    if argv0 and "/" not in argv0 and os.sep not in argv0 and orig.mentioned(env.get("PATH", "")):
        # `python` found on its PATH: the first directory that has it, or one of the env's
        # before any other (the name may be gone from the new env).
        for entry in env.get("PATH", "").split(os.pathsep):
            if entry and orig.names(entry, start):
                return Holder(proc.pid, proc.name, "PATH", os.path.join(entry, argv0))
            if entry and os.access(os.path.join(entry, argv0), os.X_OK):
                break
    return None


def holders_of(
    procs: Iterable[Proc], tomb: str, *, original: str | None = None, since: float | None = None
) -> list[Holder]:
    """Processes holding the directory `tomb` (after `original` was renamed to it at `since`)."""
    tomb = os.path.normcase(os.path.abspath(tomb))
    orig = _Original(original) if original is not None and since is not None else None
    found: list[Holder] = []
    for proc in procs:
        if proc.pid == os.getpid():
            continue
        hit = next(
            (
                Holder(proc.pid, proc.name, *proc.paths[i])
                for i, normed in enumerate(proc.normed)
                if normed.startswith(tomb) and _under(normed, tomb)
            ),
            None,
        )
        if hit is None and orig is not None and since is not None and proc.created <= since:
            hit = _started_from(proc, orig) if orig.base in proc.said else None
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

    _WANTED = tuple(name.encode() + b"=" for name in WANTED_ENV)

    def _environ(pid: str) -> dict[str, str]:
        found: dict[str, str] = {}
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                for item in fh.read().split(b"\0"):
                    if item.startswith(_WANTED):
                        name, _, value = item.partition(b"=")
                        found.setdefault(os.fsdecode(name), os.fsdecode(value))
        except OSError:
            pass
        return found

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
            procs.append(Proc(int(pid), name, _created(pid), paths, cmdline, _environ(pid)))
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
                environ = {k: v for k, v in p.environ().items() if k.upper() in WANTED_ENV}
            except (psutil.Error, OSError):
                environ = {}
            procs.append(
                Proc(
                    info["pid"],
                    info.get("name") or "?",
                    info.get("create_time") or 0.0,
                    paths,
                    info.get("cmdline") or [],
                    {k.upper(): v for k, v in environ.items()},
                )
            )
        return procs


def tree_bytes(root: Path) -> int:
    """The bytes of every file under root, links not followed (the sizes gc and status show)."""
    total = 0
    stack = [str(root)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_size
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total
