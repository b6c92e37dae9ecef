"""Rows 2a, 2b: `uv sync` and `uv run` in a healthy project, the shim's cached "keep" verdict."""

from __future__ import annotations

from pathlib import Path

from tests.bench.harness import Row, Sizes, run_timed
from tests.bench.sandbox import Sandbox, age_past_racy_window, state_snapshot, uv_pair

SYNC = ["sync"]
RUN = ["run", "python", "-c", "pass"]


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    project = sb.healthy_project()
    n = sizes.pick(15, 61)  # pairs of ~10-50 ms commands
    # Let every watched file age past the racy window, then warm the fingerprint cache.
    age_past_racy_window()
    home = Path(sb.shim_env["VENVSHIM_HOME"])
    for args in (SYNC, RUN):
        for _ in range(3):
            run_timed([sb.shim_uv, *args], env=sb.shim_env, cwd=project)
    before = state_snapshot(home)
    row_sync = uv_pair(sb, project, "2a", "uv sync (nothing to do)", SYNC, 1.25, n)
    row_run = uv_pair(sb, project, "2b", "uv run python -c pass", RUN, 1.25, n)
    after = state_snapshot(home)
    if not before:
        row_sync.note += "; WARNING: the shim cached nothing under VENVSHIM_HOME in warm-up"
    elif before != after:
        row_sync.note += "; WARNING: the shim rewrote its cache during timing (cache misses)"
    else:
        row_sync.note += f"; shim cache warm ({len(before)} files, unchanged while timed)"
    return [row_sync, row_run]
