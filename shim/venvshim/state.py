"""The state root (`VENVSHIM_HOME`) and the registry of tombstones under it.

One JSON file per tombstone, written atomically (temp file + rename), so a shim killed at any
instant leaves either the old record or the new one, never half a file. The state root is resolved
at call time from the environment and passed around; nothing here is a module-level singleton.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

MARKER = ".venvshim-tombstone"
TOMB_INFIX = ".venvshim-tomb-"
PENDING = "pending"  # about to rename: the environment may still be in place
ACTIVE = "active"  # renamed: the tombstone exists and waits for gc


def default_home(env: Mapping[str, str]) -> Path:
    explicit = env.get("VENVSHIM_HOME")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return Path(base) / "venvshim"
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support/venvshim"))
    base = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME") or "~", ".local", "state")
    return Path(os.path.expanduser(base)) / "venvshim"


def write_atomic(path: Path, data: str) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Record:
    """A registered tombstone."""

    __slots__ = ("created", "id", "original", "path", "state")

    def __init__(self, *, id: str, original: str, path: str, created: float, state: str) -> None:
        self.id = id
        self.original = original
        self.path = path
        self.created = created
        self.state = state

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            id=str(data["id"]),
            original=str(data["original"]),
            path=str(data["path"]),
            created=float(data["created"]),
            state=str(data["state"]),
        )

    def marker_text(self) -> str:
        return json.dumps({"id": self.id, "original": self.original}) + "\n"

    def marker_matches(self, directory: Path) -> bool:
        """The tombstone's own marker names this record: the proof that venvshim made it."""
        try:
            data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data == json.loads(self.marker_text())


class StateRoot:
    def __init__(self, home: Path) -> None:
        self.home = home

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StateRoot:
        return cls(default_home(env))

    @property
    def registry(self) -> Path:
        return self.home / "tombstones"

    @property
    def locks(self) -> Path:
        return self.home / "locks"

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def new_record(self, original: Path) -> Record:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        tomb_id = f"{stamp}-{os.getpid()}-{os.urandom(3).hex()}"
        name = "." + original.name.lstrip(".") + TOMB_INFIX + tomb_id
        return Record(
            id=tomb_id,
            original=str(original),
            path=str(original.with_name(name)),
            created=time.time(),
            state=PENDING,
        )

    def save(self, record: Record) -> None:
        write_atomic(self.registry / f"{record.id}.json", json.dumps(record.to_json(), indent=1))

    def forget(self, record: Record) -> None:
        (self.registry / f"{record.id}.json").unlink(missing_ok=True)

    def records(self) -> Iterator[Record]:
        try:
            entries = sorted(self.registry.glob("*.json"))
        except OSError:
            return
        for entry in entries:
            try:
                yield Record.from_json(json.loads(entry.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a foreign or corrupt file: never acted upon
