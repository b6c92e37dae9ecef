"""`venvshim uninstall`: remove the shim, hooks, rc blocks and scheduled gc; restore rc files to
the bytes they had; collect the tombstones nothing holds and list those something still holds.

install.sh --uninstall / install.ps1 -Uninstall run this, then `uv tool uninstall venvshim`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from ..integration import integrate
from ..state import ENTRIES, StateRoot
from ..tombstones.registry import Registry


def uninstall(
    *, state: StateRoot, env: Mapping[str, str], shim_dir: Path | None, dry_run: bool
) -> int:
    state.check()
    for line in integrate.uninstall_integration(
        state=state, env=env, shim_dir=shim_dir, dry_run=dry_run
    ):
        print(line)
    from ..tombstones.gc import Outcome, gc

    outcomes: list[Outcome] = []
    deadline = time.monotonic() + 20
    while state.home.is_dir():
        outcomes = gc(state=state, dry_run=dry_run, only=None, wait=None).outcomes
        # [] with records left: a background gc holds the gc lock for a moment; wait for it.
        if outcomes or not bool(Registry(state).load()[0]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    deleted = [o for o in outcomes if o.action in ("deleted", "would-delete")]
    if deleted:
        verb = "would delete" if dry_run else "deleted"
        print(f"{verb} {len(deleted)} tombstone{'s' if len(deleted) > 1 else ''}")
    kept = [o for o in outcomes if o.action in ("held", "partial", "in-flight", "refused")]
    for outcome in kept:
        why = "; ".join(h.describe() for h in outcome.holders) or outcome.detail
        print(f"warning: kept {outcome.record.path} ({outcome.action}: {why})")
    if kept:
        print(
            "hint: close the programs listed, then delete those directories by hand "
            "(they are old copies of environments; nothing else refers to them)"
        )
    elif not dry_run:
        _clear_state(state)
    print("venvshim is uninstalled" if not dry_run else "nothing was changed (--dry-run)")
    return 0


def _clear_state(state: StateRoot) -> None:
    if bool(Registry(state).load()[0]):
        return
    for name in ENTRIES:
        path = state.home / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
    try:
        state.home.rmdir()
    except OSError:
        pass  # something that is not venvshim's: left alone
