"""`venvshim uninstall`: remove the shim, hooks, rc blocks and scheduled gc; restore rc files to
the bytes they had; collect the tombstones nothing holds and list those something still holds.

install.sh --uninstall / install.ps1 -Uninstall run this, then `uv tool uninstall venvshim`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from ..integration import integrate
from ..state import ENTRIES, StateRoot
from ..tombstones.registry import Registry
from ..ui import Printer

SUMMARY = "Remove the shim, the shell hooks and the scheduled gc (install.sh --uninstall)"

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ..cli import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shim-dir", type=Path, help="when no install record names it")
    parser.add_argument("--dry-run", action="store_true", help="say what would be removed")


def run(args: argparse.Namespace, ctx: Context) -> int:
    return uninstall(state=ctx.state, env=ctx.env, shim_dir=args.shim_dir, dry_run=args.dry_run)


def uninstall(
    *, state: StateRoot, env: Mapping[str, str], shim_dir: Path | None, dry_run: bool
) -> int:
    state.check()
    ui = Printer()
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
        verb = "Would delete" if dry_run else "Deleted"
        print(f"{verb} {len(deleted)} tombstone{'s' if len(deleted) > 1 else ''}")
    kept = [o for o in outcomes if o.action in ("held", "partial", "in-flight", "refused")]
    for outcome in kept:
        why = "; ".join(h.describe() for h in outcome.holders) or outcome.detail
        ui.warning(f"kept {outcome.record.path} ({outcome.action}: {why})")
    if kept:
        ui.say(
            "hint",
            "close the programs listed, then delete those directories by hand (they are old "
            "copies of environments; nothing else refers to them), and venvshim's state root "
            f"{state.home}",
        )
    elif dry_run:
        print(f"Would delete venvshim's state root {state.home}")
    elif _clear_state(state):
        print(f"Deleted venvshim's state root {state.home}")
    print("venvshim is uninstalled" if not dry_run else "Nothing was changed (--dry-run)")
    if not dry_run and _remembering_shell(env):
        ui.say(
            "hint",
            "shells that are open still remember the shim as `uv`: run `hash -r` in each (or "
            "open a new one)",
        )
    return 0


def _remembering_shell(env: Mapping[str, str]) -> bool:
    """Is the user's shell one that caches command paths (bash, zsh: `hash -r` forgets)?"""
    try:
        import shellingham

        name = str(shellingham.detect_shell()[0])
    except Exception:  # shellingham.ShellDetectionFailure, or no /proc to read
        name = os.path.basename(env.get("SHELL", ""))
    return name in ("bash", "zsh", "sh", "dash", "ksh")


def _clear_state(state: StateRoot) -> bool:
    """Delete what venvshim keeps in the state root, and the root if nothing else is in it."""
    if not state.home.is_dir() or Registry(state).load()[0]:
        return False
    for name in ENTRIES:
        path = state.home / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
    try:
        state.home.rmdir()
    except OSError:
        return False  # something that is not venvshim's is in it: left alone
    return True
