"""From a decision to the real uv: lock the environment, get the Plan, then exec uv ("keep") or
tombstone the env and supervise uv ("replace").

  1. decision.locate: the env this command targets (none: exec uv at once);
  2. the per-env lock under the state root serialises shims on one env; waits are bounded
     (UV_LOCK_TIMEOUT, as uv's own locks) and end in an error naming who holds it;
  3. decision.plan under the lock: another shim may have swapped this env while we waited;
  4. keep: release the lock and exec uv. The lock is never handed to uv: a daemon started by a
     build step would inherit it and block every later command (a swap still waits for uv's
     own `.lock` in the env, which uv takes while it installs);
  5. replace: swap.tombstone, run uv as a child (it inherits nothing of ours), restore the env if
     uv made none, start gc in the background, exit as uv did;
  6. keep, but dists may go (the Plan's `removes`; every `uv pip` command is planned by
     packages.py) or a tool command (tools.py): inuse.py moves the files in use aside, runs uv
     and settles, or execs uv when nothing is in use.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import VenvshimError
from ..platform import impl, lock, lock_timeout
from ..state import StateRoot
from ..tombstones.registry import Record
from ..ui import Printer
from . import decision, envstate, swap, uvfacts
from .verdicts import sha256_hex

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

    from ..platform.posix import StderrReader
    from .uvargs import Invocation


def _lock_env(
    state: StateRoot, env_path: Path, env: Mapping[str, str], *, wait: bool
) -> int | None:
    """The per-env lock (its file holds the holder's pid, for the error a waiter gives)."""
    digest = sha256_hex(os.fsencode(os.path.abspath(env_path)))[:24]
    path = state.locks / f"{digest}.lock"
    try:
        state.locks.mkdir(exist_ok=True, mode=0o700)
        fd = lock(str(path), timeout=lock_timeout(env) if wait else 0)
    except OSError as exc:
        raise state.unwritable(exc) from exc
    if fd is None and wait:
        try:
            holder = path.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            holder = "?"
        raise VenvshimError(
            f"another venvshim (pid {holder}) has been working on the environment at "
            f"`{env_path}` for {lock_timeout(env):.0f} s",
            hint="wait for that uv command to finish, then run this one again "
            "(UV_LOCK_TIMEOUT sets how long to wait)",
        )
    if fd is not None:
        try:  # only for the words of a waiter's error: a full disk must not stop us here
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass
    return fd


def intercept(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    pwd: str | None = None,
    early: StderrReader | None = None,
) -> NoReturn:
    state = StateRoot.from_env(env).ensure()

    def lock_env(path: Path) -> int:
        fd = _lock_env(state, path, env, wait=True)
        assert fd is not None  # a waiting _lock_env raises instead of returning None
        return fd

    if inv.key in decision.TOOL_CHANGES or inv.key in decision.PIP_CHANGES:
        from . import inuse

        inuse.intercept_nested(
            real_uv, args, inv, cwd=cwd, env=env, state=state, pwd=pwd, early=early,
            lock_env=lock_env,
        )  # fmt: skip
    facts = uvfacts.facts_for(real_uv, state.cache)
    target = decision.locate(real_uv, inv, cwd=cwd, env=env, facts=facts)
    if target is None:
        # Cannot replace an env (a PEP 723 script, ...), or no project: uv reports it, or
        # runs without one.
        if early is not None:
            early.stop()
        impl.exec_uv(real_uv, args)
    fd = _lock_env(state, target.env_path, env, wait=False)
    if fd is None:
        # Another shim works on this env: what the early dry-run saw may be stale by the time
        # we get the lock. Wait, then decide afresh.
        if early is not None:
            early.stop()
        early = None
        fd = _lock_env(state, target.env_path, env, wait=True)
    assert fd is not None
    chosen = decision.plan(
        real_uv, inv, cwd=cwd, env=env, state=state, pwd=pwd, early=early, target=target,
        facts=facts,
    )  # fmt: skip
    if chosen.action != decision.REPLACE or chosen.current is None:
        from . import inuse

        run = inv.command == "run"  # its program may run for hours: not under our lock
        inuse.keep(real_uv, args, chosen, state=state, env=env, locks=[fd], run=run)
    locks = [fd]
    if os.path.realpath(chosen.current.path) != os.path.realpath(target.env_path):
        # uv named another env than the one we located and locked: lock that one too.
        other = _lock_env(state, chosen.current.path, env, wait=True)
        assert other is not None
        locks.append(other)
    try:
        record = swap.tombstone(chosen.current, state=state, env=env)
    except swap.CannotMove as exc:
        if not exc.mount_point or exc.holders:
            raise
        # A mount point (a container volume) cannot be renamed, and nothing uses it: uv empties
        # it in place, as it would without venvshim.
        for fd in locks:
            impl.unlock_fd(fd)
        impl.exec_uv(real_uv, args)
    _make_room(record, state=state)
    ui = Printer(choice=inv.value("--color"))
    if not inv.flag("--quiet"):
        _notice_holders(record, ui)
    _supervise(
        real_uv, args, inv, record=record, current=chosen.current, state=state, locks=locks,
        unsure=chosen.said if chosen.unsure else None, ui=ui,
    )  # fmt: skip


def _notice_holders(record: Record, ui: Printer) -> None:
    """Once, before uv's own words: the programs still using the environment just moved aside,
    what they keep, and that they should be restarted (nothing when no program held it)."""
    from ..tombstones import holders, keeps

    held = holders.holders_of(
        holders.scan(), record.path, original=record.original, since=record.created
    )
    lines = keeps.explain(held, original=record.original)
    if not lines:
        return
    ui.warning(
        f"The environment at `{record.original}` was moved aside to `{record.path}`, and "
        "programs still use it; it is deleted once they exit:\n  " + "\n  ".join(lines)
    )


LOW_DISK_BYTES = 1 << 30


def _make_room(record: Record, *, state: StateRoot) -> None:
    """uv deletes an environment before it builds the new one; a tombstone keeps the old one's
    space taken. On a nearly full disk (less free than twice the old env), collect the tombstone
    now when nothing holds it: exactly what plain uv would have done. Never fails the command."""
    from ..tombstones import delete, holders
    from ..tombstones.registry import Registry

    try:
        disk = os.statvfs(os.path.dirname(record.path))
        free = disk.f_bavail * disk.f_frsize
        if free > LOW_DISK_BYTES or free > 2 * holders.tree_bytes(Path(record.path)):
            return
        procs = holders.scan()
        held = holders.holders_of(
            procs, record.path, original=record.original, since=record.created
        )
        if held:
            print(
                f"warning: venvshim: the disk under `{record.original}` is nearly full, and the "
                f"old environment cannot be deleted while {held[0].describe()} uses it",
                file=sys.stderr,
            )
            return
        if not delete.delete(record):
            Registry(state).forget(record)
    except (OSError, delete.Refused):
        return


def _env_ready(current: envstate.EnvState) -> bool:
    fresh = envstate.classify(current.path)
    return fresh.kind == envstate.VENV and not impl.is_locked_by_other(
        str(fresh.real_dir / ".lock")
    )


def _supervise(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    record: Record,
    current: envstate.EnvState,
    state: StateRoot,
    locks: list[int],
    unsure: str | None,
    ui: Printer,
) -> NoReturn:
    import subprocess

    try:
        child = impl.run_supervised([real_uv, *args])
    except BaseException:
        swap.restore(record, current, state=state)  # uv never ran: the env goes back
        raise
    swap.crash_point("uv-started")
    if inv.command == "run":
        # Release the per-env locks once uv has built the new env, before the user's program
        # runs for who knows how long.
        while child.poll() is None and locks:
            if _env_ready(current):
                for fd in locks:
                    impl.unlock_fd(fd)
                locks = []
            else:
                try:
                    child.wait(timeout=0.02)
                except subprocess.TimeoutExpired:
                    pass
    returncode = child.wait()
    if swap.restore(record, current, state=state):
        pass  # uv built nothing: the environment is back, as uv alone would have left it
    else:
        if unsure is not None:
            ui.warning(
                f"venvshim could not tell whether uv would replace the environment at "
                f"`{record.original}`, so it moved it aside before uv ran: it is kept at "
                f"`{record.path}` until nothing uses it"
                + (f" (uv's answer was not one venvshim knows: {unsure})" if unsure else ""),
                "`venvshim doctor` tells whether venvshim understands this uv",
            )
        start_background_gc(record, env=os.environ)
    for fd in locks:
        impl.unlock_fd(fd)
    impl.exit_like(returncode)


def start_background_gc(record: Record, *, env: Mapping[str, str]) -> None:
    """Detached `venvshim gc --wait` for this tombstone; never fails the user's command."""
    from ..platform.launch import venvshim_command
    from .uvargs import env_flag

    if env_flag(env, "VENVSHIM_NO_BACKGROUND_GC"):
        return
    try:
        impl.spawn_detached(venvshim_command(["gc", "--wait", "--id", record.id]), env=env)
    except OSError as exc:
        print(f"warning: venvshim: could not start background gc: {exc}", file=sys.stderr)
