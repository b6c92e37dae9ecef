"""`venvshim status`: the registered tombstones, their size and who holds them."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from ..state import StateRoot
from ..tombstones import holders
from ..tombstones.registry import Registry


def status(*, state: StateRoot) -> tuple[list[dict[str, object]], list[str]]:
    """One row per registered tombstone, and a warning per record that was skipped."""
    state.check()
    records, problems = Registry(state).load()
    procs = holders.scan() if records else []
    rows: list[dict[str, object]] = []
    for record in records:
        tomb = Path(record.path)
        held = holders.holders_of(procs, str(tomb), original=record.original, since=record.created)
        rows.append(
            {
                "id": record.id,
                "path": record.path,
                "original": record.original,
                "created": datetime.datetime.fromtimestamp(
                    record.created, tz=datetime.timezone.utc
                ).isoformat(),
                "state": record.state,
                "exists": os.path.lexists(tomb),
                "bytes": holders.tree_bytes(tomb) if tomb.is_dir() else 0,
                "holders": [{"pid": h.pid, "name": h.name} for h in held],
            }
        )
    return rows, problems
