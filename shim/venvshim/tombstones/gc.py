"""`venvshim gc`: delete every registered tombstone that nothing holds any more.

Safety rules (promise 1): only the directory whose device and inode match its registry record is
ever deleted (registry.py), through handles that never follow a link nor cross a filesystem
(delete.py); a record that does not check out is skipped with a warning; a failed deletion is
reported, never raised, and retried by the next pass.

A tombstone of files or of a tool is left alone while the shim that made it lives (it settles it
after uv); one whose shim died is settled first: files a dist still lists go back to their empty
places (files.settle), a tool environment whose stub uv never touched goes back (toolswap.recover).
Only what is left is deleted (the tool area goes with its last tombstone: Registry.forget).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from ..platform import impl, lock
from ..state import GC_LOCK, StateRoot
from . import delete, holders
from .registry import ENV, PENDING, TOOL, Record, Registry

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
        # deleted | would-delete | held | partial | gone | refused | in-flight | restored
        self.action = action
        self.detail = detail
        self.holders = held or []

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.record.id,
            "kind": self.record.kind,
            "label": self.record.label,
            "path": self.record.path,
            "original": self.record.original,
            "action": self.action,
            "detail": self.detail,
            "holders": [h.to_json() for h in self.holders],
        }


def _in_flight(record: Record) -> bool:
    """A shim is still working with it: swapping an env, or (any other kind) waiting for uv."""
    if record.state != PENDING and record.kind == ENV:
        return False
    return impl.pid_alive(record.pid) and time.time() - record.created < IN_FLIGHT_SECONDS


def _settled(record: Record, state: StateRoot) -> bool:
    """Put back what its dead shim would have (see the module doc). True if nothing is left."""
    from . import files

    if record.kind == TOOL:
        from ..intercept import toolswap

        return toolswap.recover(record, state)
    return files.settle(record, state)


class Result:
    """What a gc run did: one Outcome per tombstone, and warnings about records it skipped."""

    __slots__ = ("outcomes", "warnings")

    def __init__(self, outcomes: list[Outcome], warnings: list[str]) -> None:
        self.outcomes = outcomes
        self.warnings = warnings


def collect(
    state: StateRoot,
    *,
    dry_run: bool,
    only: str | None = None,
    procs: list[holders.Proc] | None = None,
) -> Result:
    """One pass over the registry with one scan of the process table."""
    registry = Registry(state)
    records, warnings = registry.load()
    records = [r for r in records if only is None or r.id == only]
    if not records:
        return Result([], warnings)
    if procs is None:
        procs = holders.scan()
    outcomes: list[Outcome] = []
    for record in records:
        if _in_flight(record):
            outcomes.append(Outcome(record, "in-flight", "a shim is swapping this environment"))
            continue
        try:
            st = os.lstat(record.path)
        except FileNotFoundError:
            if not dry_run:
                registry.forget(record)  # gone (or the swap never renamed it): nothing to do
            outcomes.append(Outcome(record, "gone"))
            continue
        except OSError as exc:
            outcomes.append(Outcome(record, "partial", f"cannot look at it: {exc}"))
            continue
        if not record.identity_matches(st):
            outcomes.append(
                Outcome(record, "refused", "not the directory venvshim renamed: not deleted")
            )
            continue
        if not dry_run and record.kind != ENV and _settled(record, state):
            outcomes.append(Outcome(record, "restored", "put back where uv left it missing"))
            continue
        tomb = record.path
        whole = record.kind in (ENV, TOOL)  # a process may name the env it ran from
        held = holders.holders_of(
            procs,
            tomb,
            original=record.original if whole else None,
            since=record.created if whole else None,
        )
        if impl.is_locked_by_other(os.path.join(tomb, ".lock")):
            held.append(holders.Holder(0, "uv", "lock", os.path.join(tomb, ".lock")))
        if held:
            outcomes.append(Outcome(record, "held", held=held))
        elif dry_run:
            outcomes.append(Outcome(record, "would-delete"))
        else:
            try:
                errors = delete.delete(record)
            except delete.Refused as exc:
                outcomes.append(Outcome(record, "refused", str(exc)))
                continue
            if errors:
                outcomes.append(Outcome(record, "partial", "; ".join(errors)[:500]))
            else:
                registry.forget(record)
                outcomes.append(Outcome(record, "deleted"))
    return Result(outcomes, warnings)


def wait_and_collect(*, timeout: float, one_pass: Callable[[], Result]) -> Result:
    """Background mode: retry as holders exit, until the tombstone(s) are gone or time is up."""
    import psutil

    deadline = time.monotonic() + timeout
    result = one_pass()
    while time.monotonic() < deadline:
        waiting = [o for o in result.outcomes if o.action in ("held", "partial", "in-flight")]
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
        result = one_pass()
    return result


def gc(*, state: StateRoot, dry_run: bool, only: str | None, wait: float | None) -> Result:
    """One pass (skipped if another gc holds the lock), or with `wait` retry until collected.

    Each pass holds `gc.lock` (through the platform seam, not `filelock`: importing that costs
    ~45 ms, a third of a whole gc run), so concurrent gcs (a background one per swap, the hook's,
    the user's) never delete the same tree at once; a background gc waits its turn.
    """
    state.ensure()

    def one_pass(lock_timeout: float = 60) -> Result:
        fd = lock(str(state.home / GC_LOCK), timeout=lock_timeout)
        if fd is None:
            return Result([], [])  # another gc is at work right now, and will do what we would
        try:
            return collect(state, dry_run=dry_run, only=only)
        finally:
            impl.unlock_fd(fd)

    if wait is None:
        return one_pass(5 if dry_run else 0)
    return wait_and_collect(timeout=wait, one_pass=one_pass)
