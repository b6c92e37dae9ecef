"""Files in use that uv will delete: moved aside, uv run, then settled. The part of handover.py for
an environment uv keeps but changes (packages) and for tool environments.

  1. which files uv may delete: the RECORD files of the dists the Plan names (or of every dist),
     of every tool environment tools.plan names, and the tools' entry points;
  2. one process scan (only now: a command that removes nothing never pays for it) says which of
     those a process runs, maps or has open; none: uv is exec'd as it is;
  3. those are moved aside (tombstones/files.py), tool environments uv deletes are tombstoned
     with a stub (toolswap.py), every tombstone registered; a failure puts everything back and
     refuses, before uv runs;
  4. uv runs as a child; afterwards whatever uv did not replace goes back, the rest is left to a
     background gc, and the shim exits as uv did.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..platform import impl
from ..state import StateRoot
from ..tombstones import dists, files, holders
from ..tombstones.registry import FILES, TOOL_FILES, Record

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import NoReturn

    from ..platform.posix import StderrReader
    from .askuv import Changes
    from .plans import Plan
    from .uvargs import Invocation

# A tombstone and how to settle it once uv exited with a code (None: uv never ran, all goes back).
Settle = tuple[Record, "Callable[[int | None], object]"]


def env_files(env_dir: Path, changes: Changes | None) -> dict[str, dists.Dist]:
    """The files uv may delete from `env_dir`: those of the dists `changes` names (None: all)."""
    installed = dists.installed(env_dir)
    chosen = installed if changes is None else dists.select(installed, changes.removed)
    return dists.files_of(env_dir, chosen)


def _label(owned: dict[str, dists.Dist], moved: Sequence[str], prefix: str = "") -> str:
    names = sorted({f"{owned[p].name} {owned[p].version}" for p in moved if p in owned})
    return prefix + ", ".join(names)


def move_held(
    state: StateRoot,
    env_dir: Path,
    owned: dict[str, dists.Dist],
    procs: list[holders.Proc],
    *,
    prefix: str = "",
) -> Record | None:
    """Move the files of `owned` that a process holds out of `env_dir`; None if none is held.
    A tool environment (it has a receipt; `uv pip --python` may name one too) keeps its
    tombstone out of uv's tool dir (registry.place)."""
    held = files.held(owned, procs)
    if not held:
        return None
    label = _label(owned, list(held), prefix)
    kind = TOOL_FILES if (env_dir / "uv-receipt.toml").is_file() else FILES
    return files.move_aside(state, env_dir, held, kind=kind, label=label)


def run_and_settle(
    real_uv: str, args: Sequence[str], settles: list[Settle], *, locks: list[int]
) -> NoReturn:
    """Run uv as a child, then settle every tombstone made for it, then exit as uv did."""
    from .handover import start_background_gc

    try:
        child = impl.run_supervised([real_uv, *args])
    except BaseException:
        for _record, settle in settles:
            settle(None)  # uv never ran: everything goes back
        raise
    returncode = child.wait()
    for record, settle in settles:
        try:
            settle(returncode)
        except OSError as exc:
            print(f"warning: venvshim: could not settle {record.path}: {exc}", file=sys.stderr)
        if os.path.lexists(record.path):
            start_background_gc(record, env=os.environ)
    for fd in locks:
        impl.unlock_fd(fd)
    impl.exit_like(returncode)


def files_settle(
    record: Record, state: StateRoot, wants: Callable[[list[str]], set[str]]
) -> Callable[[int | None], object]:
    """Put back what `wants` still wants; everything when uv never ran."""

    def settle(code: int | None) -> object:
        return files.put_back(record, wants if code is not None else set, state)

    return settle


def keep(
    real_uv: str,
    args: Sequence[str],
    chosen: Plan,
    *,
    state: StateRoot,
    env: Mapping[str, str],
    locks: list[int],
    run: bool = False,
    lock_env: Callable[[Path], int] | None = None,
) -> NoReturn:
    """A KEEP plan: exec uv, unless dists that a process holds files of may go. `locks` are
    held on the env (else taken with `lock_env`), and released before uv runs when `run`."""
    from . import swap

    if chosen.removes and chosen.env_path is not None:
        owned = env_files(chosen.env_path, chosen.changes)
        if owned:
            if not locks and lock_env is not None:
                locks = [lock_env(chosen.env_path)]
            swap._wait_env_lock_free(Path(os.path.realpath(chosen.env_path)), env)
            record = move_held(state, chosen.env_path, owned, holders.scan())
            if record is not None:
                if run:
                    for fd in locks:
                        impl.unlock_fd(fd)
                    locks = []
                settle = files_settle(record, state, files.env_wants(chosen.env_path))
                run_and_settle(real_uv, args, [(record, settle)], locks=locks)
    for fd in locks:
        impl.unlock_fd(fd)
    impl.exec_uv(real_uv, args)


def intercept_nested(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    pwd: str | None,
    early: StderrReader | None,
    lock_env: Callable[[Path], int],
) -> NoReturn:
    """`uv pip install|uninstall|sync` (packages.py plans it) and `uv tool …` (tools.py)."""
    if inv.command == "pip":
        from . import packages

        chosen = packages.plan(real_uv, inv, cwd=cwd, env=env, state=state, pwd=pwd, early=early)
        keep(real_uv, args, chosen, state=state, env=env, locks=[], lock_env=lock_env)
    if early is not None:
        early.stop()
    intercept_tools(real_uv, args, inv, cwd=cwd, env=env, state=state, lock_dir=lock_env)


def _entry_files(points: Sequence[Path], bin_dir: Path) -> list[str]:
    """The entry points that are files of their own in uv's bin dir (Windows: copies of the
    `.exe`; a POSIX link is never held itself). A receipt naming anything else is ignored."""
    bin_real = os.path.normcase(os.path.realpath(bin_dir))
    found: list[str] = []
    for point in points:
        real = os.path.join(os.path.realpath(point.parent), point.name)
        if os.path.normcase(os.path.dirname(real)) != bin_real:
            continue
        if os.path.isfile(real) and not os.path.islink(real):
            found.append(real)
    return found


def _tool_settle(
    record: Record, state: StateRoot, *, uninstall: bool
) -> Callable[[int | None], object]:
    from . import toolswap

    return lambda _code: toolswap.settle(record, state, uninstall=uninstall)


def intercept_tools(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    lock_dir: Callable[[Path], int],
) -> NoReturn:
    """`uv tool install|upgrade|uninstall`: see tools.py for what is protected how."""
    from . import swap, tooldirs, tools, toolswap, uvargs

    work = uvargs.working_dir(inv, cwd=str(cwd), env=env)
    tool_dir, bin_dir = tooldirs.tool_dirs(
        real_uv, inv, cwd=str(cwd), env=env, cache_dir=state.cache
    )
    ops = tools.plan(real_uv, inv, work=work, tool_dir=tool_dir, env=env)
    if not ops:
        impl.exec_uv(real_uv, args)
    locks = [lock_dir(tool_dir)]
    swap._wait_env_lock_free(tool_dir, env)  # uv holds `<tool dir>/.lock` while it works
    scanned: list[list[holders.Proc]] = []

    def procs() -> list[holders.Proc]:
        if not scanned:
            scanned.append(holders.scan())  # once, and only if something may be held
        return scanned[0]

    settles: list[Settle] = []
    uninstall = inv.subcommand == "uninstall"
    try:
        entries: dict[str, holders.Holder] = {}
        for op in ops:
            points = _entry_files(op.entry_points, bin_dir)
            if points:
                entries.update(files.held(points, procs()))
            if op.whole:
                record = toolswap.tombstone(
                    state, op.env_dir, tool_dir=tool_dir, label=f"tool {op.name}", env=env
                )
                settles.append((record, _tool_settle(record, state, uninstall=uninstall)))
                continue
            owned = env_files(op.env_dir, None)
            moved = move_held(state, op.env_dir, owned, procs(), prefix=f"tool {op.name}: ")
            if moved is not None:
                settles.append((moved, files_settle(moved, state, files.env_wants(op.env_dir))))
        if entries:
            names = ", ".join(sorted(os.path.basename(p) for p in entries))
            record = files.move_aside(state, bin_dir, entries, label=f"entry points {names}")
            settles.append((record, files_settle(record, state, tools.receipts_want(tool_dir))))
    except BaseException:
        for _record, settle in reversed(settles):
            settle(None)
        raise
    if not settles:
        for fd in locks:
            impl.unlock_fd(fd)
        impl.exec_uv(real_uv, args)
    run_and_settle(real_uv, args, settles, locks=locks)
