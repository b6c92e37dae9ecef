"""`venvshim gc [--dry-run] [--json] [--wait [SECONDS]]`: delete the tombstones nothing uses.

Says what it did in one summary (removed N, freed X, N still in use, by whom), and nothing
alarming when there is nothing to do. `--wait` is what the background gc after a switch runs:
it keeps trying while holders exit.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ..tombstones import holders, keeps
from ..tombstones.gc import Outcome, gc
from ..tombstones.registry import Record, Registry
from ..ui import human_bytes

SUMMARY = "Delete the tombstones that nothing uses any more"

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="say what would be deleted")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--id", help=argparse.SUPPRESS)
    parser.add_argument(
        "--wait", nargs="?", type=float, const=600.0, default=None, metavar="SECONDS",
        help="keep trying while holders exit (default 600 s); the background gc does this",
    )  # fmt: skip


def _free(paths: list[str]) -> dict[str, int]:
    """Free bytes of the filesystems these paths are on (what a deletion really frees, hard
    links into uv's cache included)."""
    free: dict[str, int] = {}
    for path in paths:
        parent = os.path.dirname(path)
        try:
            disk = os.statvfs(parent)
            free[parent] = disk.f_bavail * disk.f_frsize
        except (OSError, AttributeError):
            continue
    return free


def run(args: argparse.Namespace, ctx: Context) -> int:
    before = _free([r.path for r in _registered(ctx)]) if not args.dry_run else {}
    result = gc(state=ctx.state, dry_run=args.dry_run, only=args.id, wait=args.wait)
    for warning in result.warnings:
        ctx.ui.warning(warning)
    outcomes = result.outcomes
    if args.json:
        ctx.ui.print(json.dumps([o.to_json() for o in outcomes], indent=2))
        return 0
    by = {action: [o for o in outcomes if o.action == action] for action in _ACTIONS}
    if args.dry_run:
        would = by["would-delete"]
        size = sum(holders.tree_bytes(Path(o.record.path)) for o in would)
        if would:
            ctx.ui.print(f"Would remove {_n(len(would))} ({human_bytes(size)})")
            for o in would:
                ctx.ui.print(f"  {o.record.path}")
    else:
        after = _free(list(before))
        freed = sum(max(0, after.get(k, v) - v) for k, v in before.items())
        if by["deleted"]:
            ctx.ui.print(f"Removed {_n(len(by['deleted']))}, freed {human_bytes(freed)}")
    if by["restored"]:
        ctx.ui.print(f"Put back what uv left missing from {_n(len(by['restored']))}")
    if by["held"]:
        ctx.ui.print(f"Kept {_n(len(by['held']))} still in use:")
        for o in by["held"]:
            ctx.ui.print(f"  {o.record.path}" + (f" ({o.record.label})" if o.record.label else ""))
            for line in keeps.process_lines(o.holders):
                ctx.ui.print(f"    {line}")
    for o in by["partial"] + by["refused"]:
        ctx.ui.warning(f"{o.record.path}: {o.action}: {o.detail}")
    if not any(
        by[a] for a in ("deleted", "would-delete", "held", "partial", "refused", "restored")
    ):
        ctx.ui.print("Nothing to collect")
    return 0


_ACTIONS = (
    "deleted", "would-delete", "held", "partial", "gone", "refused", "in-flight", "restored",
)  # fmt: skip


def _n(count: int) -> str:
    return f"{count} tombstone{'s' * (count != 1)}"


def _registered(ctx: Context) -> list[Record]:
    if ctx.state.problem() is not None:
        return []
    return Registry(ctx.state).load()[0]


__all__ = ["Outcome", "configure", "run"]
