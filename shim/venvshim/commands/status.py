"""`venvshim status [--json]`: the tombstones, where they came from, their size, and which
programs still use them and why (what those programs keep: tombstones/keeps.py)."""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

from ..tombstones import holders, keeps
from ..tombstones.registry import ENV, TOOL, Registry
from ..ui import human_bytes

SUMMARY = "List the tombstones: where they came from, their size, who still uses them"

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli import Context
    from ..state import StateRoot


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON list")


def status(*, state: StateRoot) -> tuple[list[dict[str, object]], list[str]]:
    """One row per registered tombstone, and a warning per record that was skipped."""
    state.check()
    records, problems = Registry(state).load()
    procs = holders.scan() if records else []
    rows: list[dict[str, object]] = []
    for record in records:
        tomb = Path(record.path)
        whole = record.kind in (ENV, TOOL)  # a process may name the env it ran from: tombstones/gc
        held = holders.holders_of(
            procs,
            str(tomb),
            original=record.original if whole else None,
            since=record.created if whole else None,
        )
        size = holders.tree_bytes(tomb) if tomb.is_dir() else 0
        created = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        rows.append(
            {
                "id": record.id,
                "kind": record.kind,
                "label": record.label,
                "path": record.path,
                "original": record.original,
                "created": created.isoformat(),
                "created_local": created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                "state": record.state,
                "exists": os.path.lexists(tomb),
                "bytes": size,
                "size": human_bytes(size),
                "holders": [{**h.to_json(), "why": keeps.why(h)} for h in held],
                "restart": keeps.explain(held, original=record.original),
            }
        )
    return rows, problems


def run(args: argparse.Namespace, ctx: Context) -> int:
    rows, warnings = status(state=ctx.state)
    for warning in warnings:
        ctx.ui.warning(warning)
    if args.json:
        ctx.ui.print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        ctx.ui.print("No tombstones")
        return 0
    for row in rows:
        what = f" ({row['label']})" if row["label"] else ""
        ctx.ui.print(f"{row['path']}{what}")
        ctx.ui.print(f"  from {row['original']}, moved aside {row['created_local']}, {row['size']}")
        restart = row["restart"]
        assert isinstance(restart, list)
        for line in restart:
            ctx.ui.print(f"  {line}")
        if not restart:
            ctx.ui.print("  nothing uses it: `venvshim gc` deletes it")
    return 0
