"""`venvshim gc [--dry-run] [--json] [--wait [SECONDS]]`: delete tombstones nothing holds."""

from __future__ import annotations

import json
import sys

from ..state import StateRoot
from ..tombstones.gc import gc


def run(
    *, state: StateRoot, dry_run: bool, only: str | None, wait: float | None, as_json: bool
) -> int:
    result = gc(state=state, dry_run=dry_run, only=only, wait=wait)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if as_json:
        print(json.dumps([o.to_json() for o in result.outcomes], indent=2))
        return 0
    for o in result.outcomes:
        extra = "; ".join(h.describe() for h in o.holders) or o.detail
        print(f"{o.action}: {o.record.path}" + (f" ({extra})" if extra else ""))
    return 0
