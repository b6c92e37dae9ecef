"""Will uv replace this environment? Ask uv, and remember its answer under a fingerprint.

The verdict comes from uv itself: `uv sync --dry-run` with the same project, python and config
arguments prints `Would replace|use|create project environment at: PATH` before it resolves
anything, so the shim reads that line and stops uv there. Reimplementing uv's rule (python
requests, version files, requires-python intersections, preferences) would drift with every uv
release; asking uv cannot.

A "keep" verdict is cached under a fingerprint: a key (cwd, the decision-relevant arguments,
every `UV_*` and discovery-relevant environment variable) and the `stat` of every file that can
change the verdict (`project.watched_paths`), present or absent. A hit costs one small JSON read
and a few dozen `stat` calls. "replace" is never cached: the swap changes the state anyway.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from .uvargs import (
    DECISION_FLAGS,
    DECISION_VALUE_OPTIONS,
    Invocation,
    dry_run_args,
    dry_run_env,
    run_script_path,
)

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..platform.posix import StderrReader


def sha256_hex(data: bytes) -> str:
    """sha256 from the interpreter's builtin module: `hashlib` initialises OpenSSL (~3 ms)."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:  # pragma: no cover - interpreters built without them
            from hashlib import sha256
    return str(sha256(data).hexdigest())


REPLACE = "replace"
KEEP = "keep"

_LINE = re.compile(r"^Would (replace|use|create) project environment at: (.+?)\s*$")
_BROKEN = re.compile(r"Project virtual environment directory `(.+?)` cannot be used because")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

# Non-UV_ variables that change discovery; every UV_* variable is part of the key as well.
DECISION_ENV = (
    "PATH", "HOME", "VIRTUAL_ENV", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "APPDATA",
    "LOCALAPPDATA", "PYENV_VERSION", "CONDA_PREFIX",
)  # fmt: skip

# Files changed within this many seconds are not trusted for a cached verdict: on filesystems
# with coarse timestamps a second change in the same tick would go unnoticed ("racy git").
RACY_SECONDS = 2.0


class Verdict:
    __slots__ = ("action", "detail", "env_path")

    def __init__(self, action: str, env_path: Path | None, detail: str = "") -> None:
        self.action = action
        self.env_path = env_path
        self.detail = detail

    def __repr__(self) -> str:
        return f"Verdict({self.action}, {self.env_path}, {self.detail!r})"


class _PopenReader:
    def __init__(self, argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        self.stream = self.proc.stderr

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.stream.close()
        self.proc.wait()


def ask_uv(
    real_uv: str,
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    script_project: str | None,
    early: StderrReader | None = None,
) -> Verdict:
    """Run `uv sync --dry-run …` (or read the one `entry` started early for this very command),
    and stop it once it has said what it would do with the env."""
    reader: StderrReader | _PopenReader = early or _PopenReader(
        [real_uv, *dry_run_args(inv, script_project=script_project)],
        cwd=cwd,
        env=dry_run_env(env),
    )
    seen: list[str] = []
    verdict: Verdict | None = None
    try:
        for raw in reader.stream:
            line = _ANSI.sub("", raw.decode("utf-8", "replace"))
            seen.append(line)
            match = _LINE.match(line)
            if match:
                action = REPLACE if match.group(1) == "replace" else KEEP
                verdict = Verdict(action, Path(match.group(2)), match.group(1))
                break
            broken = _BROKEN.search(line)
            if broken:
                verdict = Verdict(KEEP, Path(broken.group(1)), "broken")
                break
    finally:
        reader.stop()
    if verdict is None:
        return Verdict(KEEP, None, "unknown: " + "".join(seen[-3:]).strip())
    if verdict.env_path is not None and not verdict.env_path.is_absolute():
        base = Path(inv.value("--directory") or ".")
        verdict.env_path = cwd / base / verdict.env_path
    return verdict


# --- the fingerprint cache -------------------------------------------------------------------


def cache_key(inv: Invocation, *, cwd: Path, env: Mapping[str, str], real_uv: str) -> str:
    parts: dict[str, object] = {
        "v": 1,
        "cwd": str(cwd),
        "uv": real_uv,
        "command": inv.command,
        "values": {n: inv.value(n) for n in DECISION_VALUE_OPTIONS if inv.value(n) is not None},
        "flags": [f for f in DECISION_FLAGS if inv.flag(f)],
        "script": run_script_path(inv, str(cwd)),
        "venv": inv.positionals[:1] if inv.command == "venv" else [],
        "env": {k: v for k, v in sorted(env.items()) if k.startswith("UV_") or k in DECISION_ENV},
    }
    blob = json.dumps(parts, sort_keys=True).encode("utf-8", "surrogateescape")
    return sha256_hex(blob)[:32]


def _stat(path: str) -> list[int] | None:
    try:
        st = os.lstat(path)
        fst = os.stat(path) if (st.st_mode & 0o170000) == 0o120000 else st
    except OSError:
        try:
            os.lstat(path)
        except OSError:
            return None
        return [-1]  # a dangling link: present, but its target is gone
    return [st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, fst.st_ino, fst.st_mtime_ns]


class Cached:
    __slots__ = ("env_path", "watched")

    def __init__(self, env_path: Path, watched: list[Path]) -> None:
        self.env_path = env_path
        self.watched = watched


def lookup(cache_dir: Path, key: str) -> Cached | None:
    """A still-valid cached "keep" verdict (its env and the files it watches), else None."""
    try:
        with open(cache_dir / f"{key}.json", encoding="utf-8") as fh:
            entry = json.load(fh)
        for path, stat in entry["stats"]:
            if _stat(path) != stat:
                return None
        return Cached(Path(entry["env"]), [Path(p) for p, _ in entry["stats"]])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(cache_dir: Path, key: str, env_path: Path, watched: Sequence[Path]) -> bool:
    """Remember a "keep" verdict; refuses (False) when a watched file is too fresh to trust."""
    from ..state import write_atomic

    now = time.time()
    stats = []
    for path in dict.fromkeys(str(p) for p in watched):
        stat = _stat(path)
        if stat is not None and len(stat) > 1 and now - stat[3] / 1e9 < RACY_SECONDS:
            return False
        stats.append([path, stat])
    write_atomic(cache_dir / f"{key}.json", json.dumps({"env": str(env_path), "stats": stats}))
    return True
