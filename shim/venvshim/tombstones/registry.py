"""The registry: one JSON record per tombstone under the state root's `tombstones/`.

A record is venvshim's proof that it made a tombstone: its kind, a label saying what it came
from, the original path, the tombstone's path and the device and inode the directory had when it
was renamed or made (a rename keeps both). gc deletes a directory only when the one at that path
still has that identity, so the swap writes nothing into the environment itself.

Where a tombstone lives follows from its kind, its original and its id alone (`place`), always
on the original's filesystem (a rename) and never inside a directory uv lists:
  env         a project environment, renamed to its sibling `.<name>.venvshim-tomb-<id>`;
  files       files in use moved out of the directory `original` (an environment, uv's tool bin
              directory) into its sibling `.<name>.venvshim-files-<id>`, at the same relative paths;
  tool        a tool environment `<tool dir>/<tool>`, renamed into the venvshim-owned sibling of
              the tool dir, `<parent>/.<tool dir name>.venvshim/<tool>.venvshim-tomb-<id>`: uv
              takes every directory inside its tool dir for a tool (`InstalledTools::tools`);
  tool-files  files in use moved out of a tool environment, into that same directory as
              `<tool>.venvshim-files-<id>`.

Records are written atomically (temp file + rename), so a shim killed at any instant leaves the
old record or the new one. Every field of every record is checked when it is read; a record that
does not pass, or a file not owned by the user or writable by others, is skipped with a warning
and never acted on.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..state import StateRoot, read_private, write_atomic

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOMB_INFIX = ".venvshim-tomb-"
FILES_INFIX = ".venvshim-files-"
AREA_SUFFIX = ".venvshim"  # the tool dir's venvshim-owned sibling: `.<tool dir name>.venvshim`
ENV, FILES, TOOL, TOOL_FILES = "env", "files", "tool", "tool-files"
KINDS = (ENV, FILES, TOOL, TOOL_FILES)
MAX_LABEL = 300
PENDING = "pending"  # about to rename: the environment may still be in place
ACTIVE = "active"  # renamed: the tombstone exists and waits for gc
ID_SHAPE = r"^[0-9]{8}T[0-9]{6}-[0-9]{1,10}-[0-9a-f]{16}$"  # compiled where records are read
FIELDS = ("id", "kind", "label", "original", "path", "created", "state", "dev", "ino")
LEGACY_FIELDS = frozenset(FIELDS) - {"kind", "label"}  # records written before kinds: env


class Record:
    """A registered tombstone."""

    __slots__ = FIELDS

    def __init__(
        self,
        *,
        id: str,
        kind: str = ENV,
        label: str = "",
        original: str,
        path: str,
        created: float,
        state: str,
        dev: int,
        ino: int,
    ) -> None:
        self.id = id
        self.kind = kind
        self.label = label
        self.original = original
        self.path = path
        self.created = created
        self.state = state
        self.dev = dev
        self.ino = ino

    @property
    def pid(self) -> int:
        """The shim that made it (part of the id)."""
        return int(self.id.split("-")[1])

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FIELDS}

    def identity_matches(self, st: os.stat_result) -> bool:
        """Is this stat (never through a link) the directory venvshim renamed?"""
        import stat

        return stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) == (self.dev, self.ino)

    def __repr__(self) -> str:
        return f"Record({self.id}, {self.state}, {self.path})"


def tomb_name(original: str, tomb_id: str, infix: str = TOMB_INFIX) -> str:
    return "." + os.path.basename(original).lstrip(".") + infix + tomb_id


def tool_area(tool_dir: str) -> str:
    """The venvshim-owned directory beside uv's tool dir that holds its tool tombstones."""
    return os.path.join(os.path.dirname(tool_dir), "." + os.path.basename(tool_dir) + AREA_SUFFIX)


def place(kind: str, original: str, tomb_id: str) -> str:
    """The one path a tombstone of this kind, original and id may have."""
    parent, name = os.path.split(original)
    if kind == ENV:
        return os.path.join(parent, tomb_name(original, tomb_id))
    if kind == FILES:
        return os.path.join(parent, tomb_name(original, tomb_id, FILES_INFIX))
    if kind in (TOOL, TOOL_FILES):
        infix = TOMB_INFIX if kind == TOOL else FILES_INFIX
        return os.path.join(tool_area(parent), name + infix + tomb_id)
    raise ValueError(f"kind {kind!r} is unknown")


def _check_label(label: object) -> str:
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise ValueError("label is not a short string")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in label):
        raise ValueError("label holds control characters")
    return label


def validate(data: object, *, file_name: str | None = None) -> Record:
    """A Record from parsed JSON, or ValueError saying which field is wrong."""
    import math
    import re

    if isinstance(data, dict) and set(data) == LEGACY_FIELDS:
        data = {**data, "kind": ENV, "label": ""}
    if not isinstance(data, dict) or set(data) != set(FIELDS):
        raise ValueError("not a venvshim tombstone record")
    tomb_id, original, path = data["id"], data["original"], data["path"]
    kind, label = data["kind"], _check_label(data["label"])
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind {kind!r} is unknown")
    created, state, dev, ino = data["created"], data["state"], data["dev"], data["ino"]
    if not isinstance(tomb_id, str) or not re.match(ID_SHAPE, tomb_id):
        raise ValueError(f"id {tomb_id!r} does not have the shape of a venvshim id")
    if file_name is not None and file_name != f"{tomb_id}.json":
        raise ValueError(f"file name {file_name!r} does not match id {tomb_id!r}")
    if not isinstance(original, str) or not os.path.isabs(original) or "\0" in original:
        raise ValueError("original is not an absolute path")
    if os.path.normpath(original) != original or os.path.basename(original) in ("", ".", ".."):
        raise ValueError("original is not a normalised path")
    tool_dir = os.path.dirname(original)
    if kind in (TOOL, TOOL_FILES) and os.path.dirname(tool_dir) == tool_dir:
        raise ValueError("original is not inside a tool directory")
    if path != place(kind, original, tomb_id):
        raise ValueError(f"path is not where a {kind} tombstone of original lives for this id")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        raise ValueError("created is not a number")
    if not math.isfinite(created) or not 0 < created < time.time() + 86400:
        raise ValueError(f"created {created!r} is out of range")
    if state not in (PENDING, ACTIVE):
        raise ValueError(f"state {state!r} is unknown")
    for name, value in (("dev", dev), ("ino", ino)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} is not a non-negative integer")
    return Record(
        id=tomb_id,
        kind=kind,
        label=label,
        original=original,
        path=path,
        created=float(created),
        state=state,
        dev=dev,
        ino=ino,
    )


class Registry:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.directory = state.registry

    def new(
        self, original: Path, st: os.stat_result | None, *, kind: str = ENV, label: str = ""
    ) -> Record:
        """A PENDING record for a tombstone of `original`: for env and tool, the directory
        renamed (`st` its lstat); for files kinds, `st` is None until the tombstone directory
        is made (`made`)."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        tomb_id = f"{stamp}-{os.getpid()}-{os.urandom(8).hex()}"
        original_str = os.path.normpath(os.path.abspath(original))
        return Record(
            id=tomb_id,
            kind=kind,
            label=_check_label(label[:MAX_LABEL]),
            original=original_str,
            path=place(kind, original_str, tomb_id),
            created=time.time(),
            state=PENDING,
            dev=st.st_dev if st is not None else 0,
            ino=st.st_ino if st is not None else 0,
        )

    def made(self, record: Record) -> None:
        """Make the (files kinds') tombstone directory, private, and take its identity."""
        for attempt in (1, 2):
            os.makedirs(os.path.dirname(record.path), mode=0o700, exist_ok=True)
            try:
                os.mkdir(record.path, 0o700)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise  # a gc removed the empty tool area just now: make it again, once
        st = os.lstat(record.path)
        record.dev, record.ino = st.st_dev, st.st_ino

    def save(self, record: Record) -> None:
        self.state.ensure()
        self.directory.mkdir(mode=0o700, exist_ok=True)
        write_atomic(self.directory / f"{record.id}.json", json.dumps(record.to_json(), indent=1))

    def forget(self, record: Record) -> None:
        (self.directory / f"{record.id}.json").unlink(missing_ok=True)
        if record.kind in (TOOL, TOOL_FILES):
            try:
                os.rmdir(os.path.dirname(record.path))  # the tool area, once empty
            except OSError:
                pass

    def load(self) -> tuple[list[Record], list[str]]:
        """The valid records, oldest first, and a warning for every file that is not one."""
        try:
            names = sorted(os.listdir(self.directory))
        except OSError:
            return [], []
        records: list[Record] = []
        problems: list[str] = []
        for name in names:
            if not name.endswith(".json"):
                continue  # a temp file of a write in progress, or not ours
            raw = read_private(self.directory / name)
            if raw is None:
                problems.append(
                    f"skipped {self.directory / name}: not a regular file of yours that only "
                    "you can write"
                )
                continue
            try:
                records.append(validate(json.loads(raw), file_name=name))
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError included
                problems.append(f"skipped {self.directory / name}: {exc}")
        return records, problems
