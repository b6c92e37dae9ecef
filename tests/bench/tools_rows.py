"""Benchmark rows for tools and packages (issue 9): the commands that now go through venvshim's
decision or past its front end, against plain uv, in bench.py's sandbox and table.

    python tests/bench/tools_rows.py [--quick] [--keep]    # = bench.py --only tools

  t1  `uv sync` in a project whose dependency is installed, nothing to do: a cached verdict that
      also says "no dist removed" (it watches site-packages and uv.lock)          <= 1.25
  t2  `uv tool list`: the front end execs uv at once (`tool` is read one word further) <= 1.3
  t3  `uv tool run --from nativetool nt-sleep`: the same, a tool from uv's cache       <= 1.3
  t4  `uv pip install nativetool`, already installed: a cached "nothing to remove"
      verdict answered by sh alone                                                  <= 1.25

Same rules as every row: interleaved A/B pairs, medians, a target per row, exit 1 when one is
missed or a row cannot be measured. The wheel is built here (its script a small sh program: what
it runs does not matter for the timing); the package comes from it alone (UV_FIND_LINKS), for
these rows only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: tests.bench and tests.support from the checkout

from tests.bench.harness import Row, Sizes, run_ok, run_timed  # noqa: E402
from tests.bench.sandbox import (  # noqa: E402
    SWITCH_FROM,
    Sandbox,
    age_past_racy_window,
    state_snapshot,
    uv_pair,
)
from tests.support.wheels import build_wheel  # noqa: E402

TARGET_PASS_THROUGH = 1.3
TARGET_NO_OP = 1.25


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    links = sb.root / "links"
    build_wheel(links, "nativetool", "1.0", scripts={"nt-sleep": b"#!/bin/sh\nexit 0\n"})
    extra = {"UV_FIND_LINKS": str(links)}
    plain_env, shim_env = {**sb.plain_env, **extra}, {**sb.shim_env, **extra}
    project = sb.make_project("withdep")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[]", '["nativetool"]'))
    run_ok([sb.plain_uv, "sync", "-p", SWITCH_FROM], env=plain_env, cwd=project)
    run_ok([sb.plain_uv, "tool", "install", "nativetool"], env=plain_env, cwd=sb.root)
    age_past_racy_window()  # every file old enough for a verdict to be cached
    home = Path(sb.shim_env["VENVSHIM_HOME"])
    pip_install = ["pip", "install", "nativetool"]
    for args in (["sync"], pip_install):
        for _ in range(3):
            run_timed([sb.shim_uv, *args], env=shim_env, cwd=project)
    before = state_snapshot(home)
    n = sizes.pick(15, 61)
    tool_run = ["tool", "run", "--from", "nativetool", "nt-sleep"]
    measured = [
        uv_pair(sb, project, "t1", "uv sync (a dependency, nothing to do)", ["sync"],
                TARGET_NO_OP, n, extra_env=extra),
        uv_pair(sb, sb.root, "t2", "uv tool list", ["tool", "list"], TARGET_PASS_THROUGH, n,
                extra_env=extra),
        uv_pair(sb, sb.root, "t3", "uv tool run (cached tool)", tool_run, TARGET_PASS_THROUGH,
                n, extra_env=extra),
        uv_pair(sb, project, "t4", "uv pip install (already installed)", pip_install,
                TARGET_NO_OP, n, extra_env=extra),
    ]  # fmt: skip
    after = state_snapshot(home)
    cache = "unchanged while timed" if before == after else "REWRITTEN while timed (cache misses)"
    measured[0].note += f"; shim cache warm ({len(before)} files, {cache})"
    return measured


def main(argv: Sequence[str] | None = None) -> int:
    from tests.bench import bench

    args = list(sys.argv[1:] if argv is None else argv)
    return bench.main([*args, "--only", "tools"])


if __name__ == "__main__":
    sys.exit(main())
