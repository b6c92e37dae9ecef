"""Files in use, moved aside so that uv's own deletion finds nothing locked, and put back when uv
did not replace them.

Windows refuses to delete a running `.exe` or a loaded `.dll`/`.pyd` but lets it be renamed on
the same volume (windows-and-holders.md); uv deletes a dist's files in place, stopping at the
first failure (crates/uv-install-wheel/src/uninstall.rs), or a whole environment
(uv_fs::remove_virtualenv). So before uv runs, exactly the files that a process holds (its
executable, a mapped image, an open file) among those uv may delete are renamed into one
registered tombstone directory (registry.py: `files`, `tool-files`), at the same paths relative
to the directory they came from. After uv:
  * a file whose place is still empty and that is still wanted there (a dist installed in the env
    still lists it in its RECORD, a tool receipt still names the entry point) goes back: uv did
    not replace it, because it failed or never touched that dist;
  * everything else stays in the tombstone until gc deletes it, once nothing holds it.
A file open without FILE_SHARE_DELETE cannot be renamed on Windows either: the move then fails,
whatever was moved goes back, and the command is refused naming the holder, before uv runs.
gc settles a tombstone whose shim died the same way before deleting anything (`settle`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import VenvshimError
from ..fs import rename_with_retry
from ..state import StateRoot
from .holders import Holder, Proc
from .registry import ACTIVE, FILES, TOOL_FILES, Record, Registry

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

HOLDING = ("exe", "mapped", "open")


def held(paths: Iterable[str], procs: Iterable[Proc]) -> dict[str, Holder]:
    """Which of `paths` (real paths) a process runs, maps or has open, with one holder each."""
    wanted = {os.path.normcase(p): p for p in paths}
    found: dict[str, Holder] = {}
    if not wanted:
        return found
    for proc in procs:
        if proc.pid == os.getpid():
            continue
        for kind, path in proc.paths:
            key = os.path.normcase(path.removesuffix(" (deleted)"))
            if kind in HOLDING and key in wanted and wanted[key] not in found:
                found[wanted[key]] = Holder(proc.pid, proc.name, kind, path)
    return found


class FilesInUse(VenvshimError):
    """A file in use could not be moved aside; nothing was changed."""

    def __init__(self, path: str, exc: OSError, holder: Holder | None) -> None:
        who = f" ({holder.describe()})" if holder is not None else ""
        super().__init__(
            f"cannot move `{path}` aside{who}: {exc.strerror or exc}; uv would fail deleting it, "
            "so nothing was changed",
            hint="close the program using it, then run the command again; or run it with "
            "VENVSHIM_DISABLE=1 to let uv try anyway",
        )


def _rel(root: str, path: str) -> str:
    rel = os.path.relpath(path, root)
    if rel.startswith(os.pardir) or os.path.isabs(rel):
        raise ValueError(f"{path} is not inside {root}")
    return rel


def move_aside(
    state: StateRoot,
    root: Path,
    paths: dict[str, Holder],
    *,
    kind: str = FILES,
    label: str = "",
) -> Record:
    """Rename every file of `paths` (real paths inside the directory `root`) into one new
    registered tombstone; raise FilesInUse, with everything put back, if one cannot be moved."""
    registry = Registry(state)
    root_real = os.path.realpath(root)
    record = registry.new(Path(root_real), None, kind=kind, label=label)
    try:
        registry.made(record)
        registry.save(record)
    except OSError as exc:
        _prune(record.path)
        raise VenvshimError(
            f"cannot make venvshim's tombstone `{record.path}` for files in use: "
            f"{exc.strerror or exc}; nothing was moved",
            hint="make that directory writable (or free some space), then run the command "
            "again; VENVSHIM_DISABLE=1 runs uv without venvshim",
        ) from exc
    moved: list[tuple[str, str]] = []
    try:
        for path, holder in paths.items():
            dest = os.path.join(record.path, _rel(root_real, path))
            os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
            try:
                rename_with_retry(path, dest)
            except OSError as exc:
                raise FilesInUse(path, exc, holder) from exc
            moved.append((path, dest))
    except BaseException:
        for path, dest in reversed(moved):
            try:
                os.rename(dest, path)
            except OSError:
                pass  # left in the registered tombstone: gc's settle puts it back
        if _prune(record.path):
            registry.forget(record)
        raise
    record.state = ACTIVE
    try:
        registry.save(record)
    except OSError:
        pass  # the PENDING record names the tombstone too
    return record


def _prune(top: str) -> bool:
    """Remove the empty directories of a files tombstone, itself last; True if it is gone."""
    for dirpath, _dirnames, _filenames in os.walk(top, topdown=False):
        try:
            os.rmdir(dirpath)  # only succeeds once empty: sub-directories go first
        except OSError:
            pass
    return not os.path.lexists(top)


def contents(record: Record) -> list[str]:
    """The files in a files tombstone, relative to it (links and files, never followed)."""
    found: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(record.path):
        found.extend(os.path.relpath(os.path.join(dirpath, f), record.path) for f in filenames)
    return found


def put_back(record: Record, wanted: Callable[[list[str]], set[str]], state: StateRoot) -> bool:
    """Move back every file whose original place is empty and that `wanted` (given those
    original paths) still wants there. True when the tombstone is gone (nothing left in it)."""
    try:
        if not record.identity_matches(os.lstat(record.path)):
            return False
    except OSError:
        return False
    empty_places = {
        os.path.join(record.original, rel): rel
        for rel in contents(record)
        if not os.path.lexists(os.path.join(record.original, rel))
    }
    for original in sorted(wanted(sorted(empty_places)) & set(empty_places)):
        try:
            os.makedirs(os.path.dirname(original), exist_ok=True)
            os.rename(os.path.join(record.path, empty_places[original]), original)
        except OSError:
            continue  # stays in the tombstone; gc tries again
    if _prune(record.path):
        Registry(state).forget(record)
        return True
    return False


def env_wants(env: Path) -> Callable[[list[str]], set[str]]:
    """For a tombstone of files from an environment: a dist installed there still lists them."""
    from . import dists

    return lambda paths: dists.still_listed(env, paths)


def settle(record: Record, state: StateRoot) -> bool:
    """gc, for a files tombstone whose shim is gone: put back what the environment it came from
    still wants (the shim may have died before doing so). True when nothing is left."""
    if record.kind not in (FILES, TOOL_FILES):
        return False
    env = Path(record.original)
    if not (env / "pyvenv.cfg").is_file():
        return False  # uv's tool bin directory: which entry points are wanted is the shim's call
    return put_back(record, env_wants(env), state)
