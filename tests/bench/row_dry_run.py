"""Row 5: `venvshim gc --dry-run` with 100 registered tombstones vs 1, same process table.

The tombstones are copies of a tiny `uv venv`, made by venvshim's own `swap.tombstone`, in two
state roots of their own.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from tests.bench.harness import BenchError, Row, Sizes, interleaved, med, run_ok, run_timed, spread
from tests.bench.sandbox import REPO, SWITCH_FROM, Sandbox, registry_records


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    template = sb.root / "tiny-venv"
    run_ok([sb.plain_uv, "venv", "-p", SWITCH_FROM, template], env=sb.plain_env, cwd=sb.root)
    homes = {1: sb.root / "state-1", 100: sb.root / "state-100"}
    for count, home in homes.items():
        make_tombstones(sb, home, count, template, f"t{count}")

    def dry(count: int) -> Callable[[], float]:
        env = {**sb.plain_env, "VENVSHIM_HOME": str(homes[count])}
        log = sb.log(f"5-dry-{count}")

        def go() -> float:
            return run_timed([*sb.cli, "gc", "--dry-run"], env=env, cwd=sb.root, log=log).seconds

        return go

    one, hundred = dry(1), dry(100)
    for _ in range(2):
        one()
        hundred()
    said = sb.log("5-dry-100").read_text()
    if "Would remove 100 tombstones" not in said:
        raise BenchError(f"gc --dry-run with 100 tombstones did not list them all: {said[-300:]}")
    n = sizes.pick(9, 31)
    t1, t100 = interleaved(n, one, hundred)
    return [
        Row(
            "5",
            "venvshim gc --dry-run: 100 tombstones vs 1",
            base=med(t1),
            shim=med(t100),
            target=2.0,
            n=n,
            note=f"plain = 1 tombstone, shim = 100; spread {spread(t1)}, {spread(t100)}",
        )
    ]


def make_tombstones(sb: Sandbox, home: Path, count: int, template: Path, tag: str) -> None:
    """`count` registered tombstones of small environments, through venvshim's own code."""
    sys.path.insert(0, str(REPO / "shim"))
    from venvshim.intercept import envstate, swap
    from venvshim.state import StateRoot

    state = StateRoot(home)
    for i in range(count):
        project = sb.root / "tomb-projects" / f"{tag}-{i:03d}"
        project.mkdir(parents=True)
        shutil.copytree(template, project / ".venv", symlinks=True)
        swap.tombstone(envstate.classify(project / ".venv"), state=state, env=sb.shim_env)
    if len(registry_records(home)) != count:
        raise BenchError(f"made {len(registry_records(home))} tombstones in {home}, not {count}")
