"""Cached "keep" verdicts: uv's answer remembered under a fingerprint.

A "keep" verdict (decision.py, packages.py) means: uv keeps the environment and removes or
replaces no dist in it. It is cached under a key (cwd, the arguments that change either answer,
every `UV_*` and discovery-relevant environment variable, the real uv) and the `stat` of every
file that can change the verdict (`project.watched_paths`, the env's site-packages directories,
`uv.lock`, requirement files), present or absent. A hit costs one small JSON read and a few dozen
`stat` calls. Nothing else is cached: a swap or a removal changes the state anyway. fastpath.py
keeps the same verdicts for the sh front end.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .decision import DECISION_ENV, DECISION_FLAGS, DECISION_VALUE_OPTIONS, reads_changes
from .uvargs import Invocation, run_script_path
from .uvoptions import SYNC_FORWARD

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Files changed within this many seconds are not trusted for a cached verdict: on filesystems
# with coarse timestamps a second change in the same tick would go unnoticed ("racy git").
RACY_SECONDS = 2.0


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


def cache_key(inv: Invocation, *, cwd: Path, env: Mapping[str, str], real_uv: str) -> str:
    if inv.subcommand is not None:  # `uv pip ...`: every argument counts
        options: object = inv.argv
    elif reads_changes(inv, env):  # which dists `sync`/`run` remove: all of sync's options
        options = sorted((k, v) for k, v in inv.options.items() if k in SYNC_FORWARD)
    else:
        options = [
            {n: inv.value(n) for n in DECISION_VALUE_OPTIONS if inv.value(n) is not None},
            [f for f in DECISION_FLAGS if inv.flag(f)],
        ]
    parts: dict[str, object] = {
        "v": 2,
        "cwd": str(cwd),
        "uv": real_uv,
        "command": inv.key,
        "options": options,
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
    try:
        write_atomic(cache_dir / f"{key}.json", json.dumps({"env": str(env_path), "stats": stats}))
    except OSError:
        return False  # a cache: deciding again next time is fine
    return True
