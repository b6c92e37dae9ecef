"""`venvshim gc`: delete every registered tombstone that nothing holds any more.

Safety rules (promise 1): only a directory whose own marker matches its registry record is ever
deleted; links and junctions inside are removed, never followed; the marker goes last, so a
partly deleted tombstone is still recognised and retried next time; a failed deletion is
reported, never raised.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..platform import impl, lock
from ..state import MARKER, PENDING, Record, StateRoot
from . import holders

IN_FLIGHT_SECONDS = 600  # a PENDING record of a live shim younger than this is mid-swap


class Outcome:
    __slots__ = ("action", "detail", "holders", "record")

    def __init__(
        self,
        record: Record,
        action: str,
        detail: str = "",
        held: list[holders.Holder] | None = None,
    ) -> None:
        self.record = record
        self.action = action  # deleted | would-delete | held | partial | gone | refused | in-flight
        self.detail = detail
        self.holders = held or []

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.record.id,
            "path": self.record.path,
            "original": self.record.original,
            "action": self.action,
            "detail": self.detail,
            "holders": [h.to_json() for h in self.holders],
        }


def _in_flight(record: Record) -> bool:
    if record.state != PENDING:
        return False
    pid = int(record.id.split("-")[1]) if record.id.count("-") >= 2 else 0
    return impl.pid_alive(pid) and time.time() - record.created < IN_FLIGHT_SECONDS


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _subtrees(children: list[str], want: int, max_depth: int = 6) -> list[str]:
    """Split the tree breadth-first until `want` directories share the work (a venv's bulk sits
    four or more levels down, in lib/pythonX.Y/site-packages/*/...; loose files cost little).
    Directories are descended, never links."""
    frontier = children
    for _ in range(max_depth):
        if sum(map(_is_real_dir, frontier)) >= want:
            break
        expanded: list[str] = []
        for path in frontier:
            try:
                if _is_real_dir(path):
                    with os.scandir(path) as it:
                        inner = [e.path for e in it]
                    expanded.extend(inner or [path])
                    continue
            except OSError:
                pass
            expanded.append(path)
        frontier = expanded
    return frontier


def _rm(paths: list[str]) -> subprocess.Popen[bytes]:
    # GNU rm: never follows links, stays on this filesystem (a mount inside is left alone).
    return subprocess.Popen(
        ["/bin/rm", "-rf", "--one-file-system", "--", *paths],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _delete_with_rm(children: list[str]) -> list[str]:
    """Delete in parallel, one `rm` per core on disjoint sub-trees (unlinks in different
    directories proceed side by side: ~1.8x on 2 cores here), then whatever skeleton is left."""
    workers = min(os.cpu_count() or 1, 4)
    if workers > 1:
        pieces = _subtrees(children, want=8 * workers)
        procs = [_rm(pieces[i::workers]) for i in range(workers) if pieces[i::workers]]
        for proc in procs:
            proc.communicate()
    final = _rm(children)
    _, err = final.communicate()
    return [err.decode(errors="replace").strip()] if final.returncode != 0 else []


def delete_tree(tomb: Path) -> list[str]:
    """Delete a tombstone's contents, then its marker, then itself. Returns the errors."""
    errors: list[str] = []
    children = []
    try:
        with os.scandir(tomb) as it:
            children = [Path(e.path) for e in it if e.name != MARKER]
    except OSError as exc:
        return [str(exc)]
    if children and sys.platform.startswith("linux") and os.path.exists("/bin/rm"):
        errors.extend(_delete_with_rm([str(c) for c in children]))
    else:
        for child in children:
            try:
                if child.is_dir() and not child.is_symlink():
                    import shutil

                    shutil.rmtree(child, onerror=lambda _f, p, e: errors.append(f"{p}: {e[1]}"))
                else:
                    child.unlink()
            except OSError as exc:
                errors.append(str(exc))
    if errors:
        return errors
    try:
        (tomb / MARKER).unlink(missing_ok=True)
        tomb.rmdir()
    except OSError as exc:
        errors.append(str(exc))
    return errors


def _unmark_original(record: Record) -> None:
    """A shim killed between writing the marker and renaming left the marker in the env."""
    original = Path(record.original)
    if record.marker_matches(original):
        (original / MARKER).unlink(missing_ok=True)


def collect(
    state: StateRoot,
    *,
    dry_run: bool,
    only: str | None = None,
    procs: list[holders.Proc] | None = None,
) -> list[Outcome]:
    """One pass over the registry with one scan of the process table."""
    records = [r for r in state.records() if only is None or r.id == only]
    if not records:
        return []
    if procs is None:
        procs = holders.scan()
    outcomes: list[Outcome] = []
    for record in records:
        tomb = Path(record.path)
        if _in_flight(record):
            outcomes.append(Outcome(record, "in-flight", "a shim is swapping this environment"))
            continue
        if not os.path.lexists(tomb):
            if not dry_run:
                _unmark_original(record)
                state.forget(record)
            outcomes.append(Outcome(record, "gone"))
            continue
        if tomb.is_symlink() or not tomb.is_dir() or not record.marker_matches(tomb):
            outcomes.append(Outcome(record, "refused", "no matching venvshim marker: not deleted"))
            continue
        held = holders.holders_of(procs, str(tomb), original=record.original, since=record.created)
        if impl.is_locked_by_other(str(tomb / ".lock")):
            held.append(holders.Holder(0, "uv", "lock", str(tomb / ".lock")))
        if held:
            outcomes.append(Outcome(record, "held", held=held))
        elif dry_run:
            outcomes.append(Outcome(record, "would-delete"))
        else:
            errors = delete_tree(tomb)
            if errors:
                outcomes.append(Outcome(record, "partial", "; ".join(errors)[:500]))
            else:
                state.forget(record)
                outcomes.append(Outcome(record, "deleted"))
    return outcomes


def wait_and_collect(*, timeout: float, one_pass: Callable[[], list[Outcome]]) -> list[Outcome]:
    """Background mode: retry as holders exit, until the tombstone(s) are gone or time is up."""
    import psutil

    deadline = time.monotonic() + timeout
    outcomes = one_pass()
    while time.monotonic() < deadline:
        waiting = [o for o in outcomes if o.action in ("held", "partial", "in-flight")]
        if not waiting:
            break
        pids = {h.pid for o in waiting for h in o.holders if h.pid > 0}
        remaining = max(0.0, deadline - time.monotonic())
        if pids:
            procs = []
            for pid in pids:
                try:
                    procs.append(psutil.Process(pid))
                except psutil.Error:
                    pass
            # Wake as soon as any holder exits; rescan at least every 5 s (new holders, locks).
            psutil.wait_procs(procs, timeout=min(5.0, remaining))
        else:
            time.sleep(min(1.0, remaining))
        outcomes = one_pass()
    return outcomes


class _GcLock:
    """`gc.lock` under the state root, through the platform seam (flock / msvcrt), with a timeout.

    Not `filelock`: importing it costs ~45 ms (it pulls in asyncio), a third of a whole gc run.
    """

    def __init__(self, state: StateRoot, timeout: float) -> None:
        self.path = str(state.home / "gc.lock")
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> bool:
        self.fd = lock(self.path, timeout=self.timeout)
        return self.fd is not None

    def __exit__(self, *_exc: object) -> None:
        if self.fd is not None:
            impl.unlock_fd(self.fd)
            self.fd = None


def gc(*, state: StateRoot, dry_run: bool, only: str | None, wait: float | None) -> list[Outcome]:
    """One pass (skipped if another gc holds the lock), or with `wait` retry until collected.

    Each pass holds `gc.lock`, so concurrent gcs (a background one per swap, the hook's, the
    user's) never delete the same tree at once; a background gc waits its turn.
    """
    state.home.mkdir(parents=True, exist_ok=True)

    def one_pass(lock_timeout: float = 60) -> list[Outcome]:
        with _GcLock(state, timeout=lock_timeout) as locked:
            # Not locked: another gc is at work right now, and will do what we would.
            return collect(state, dry_run=dry_run, only=only) if locked else []

    if wait is None:
        return one_pass(5 if dry_run else 0)
    return wait_and_collect(timeout=wait, one_pass=one_pass)
