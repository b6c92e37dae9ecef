"""Benchmark rows for tools and packages (issue 9): the commands that now go through venvshim's
decision or past its front end, against plain uv, with the harness of bench.py.

    python tests/bench/tools_rows.py [--quick] [--keep]

  t1  `uv sync` in a project whose dependency is installed, nothing to do: a cached verdict that
      also says "no dist removed" (it watches site-packages and uv.lock)          <= 1.25
  t2  `uv tool list`: the front end execs uv at once (`tool` is read one word further) <= 1.3
  t3  `uv tool run --from nativetool nt-sleep`: the same, a tool from uv's cache       <= 1.3
  t4  `uv pip install nativetool`, already installed: a cached "nothing to remove"
      verdict answered by sh alone                                                  <= 1.25

Same rules as bench.py: a fresh sandbox, interleaved A/B pairs, medians, a target per row, exit 1
when one is missed or a row cannot be measured. The wheel is built here (its script a small sh
program: what it runs does not matter for the timing).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]  # run as a script: bench.py and tests.support

from tests.support.wheels import build_wheel  # noqa: E402

import bench  # noqa: E402
from bench import (  # noqa: E402
    RACY_WAIT,
    BenchError,
    Row,
    Sandbox,
    Sizes,
    interleaved,
    med,
    print_table,
    run_ok,
    run_timed,
    sandbox_dir,
    spread,
    state_snapshot,
)

TARGET_PASS_THROUGH = 1.3
TARGET_NO_OP = 1.25


def _pair(
    sb: Sandbox, sizes: Sizes, key: str, what: str, args: list[str], cwd: Path, target: float
) -> Row:
    log_p, log_s = sb.log(f"{key}-plain"), sb.log(f"{key}-shim")

    def plain() -> float:
        return run_timed([sb.plain_uv, *args], env=sb.plain_env, cwd=cwd, log=log_p).seconds

    def shim() -> float:
        return run_timed([sb.shim_uv, *args], env=sb.shim_env, cwd=cwd, log=log_s).seconds

    for _ in range(3):
        plain()
        shim()
    tp, ts = interleaved(sizes.fast, plain, shim)
    return Row(
        key,
        what,
        base=med(tp),
        shim=med(ts),
        target=target,
        n=sizes.fast,
        note=f"spread (IQR/median) plain {spread(tp)}, shim {spread(ts)}",
    )


def rows(sb: Sandbox, sizes: Sizes) -> list[Row]:
    links = sb.root / "links"
    build_wheel(links, "nativetool", "1.0", scripts={"nt-sleep": b"#!/bin/sh\nexit 0\n"})
    for side in (sb.plain_env, sb.shim_env):
        side["UV_FIND_LINKS"] = str(links)
    project = sb.make_project("withdep")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[]", '["nativetool"]'))
    sb.plain_sync(project, bench.SWITCH_FROM)
    run_ok([sb.plain_uv, "tool", "install", "nativetool"], env=sb.plain_env, cwd=sb.root)
    time.sleep(RACY_WAIT)  # every file old enough for a verdict to be cached
    home = Path(sb.shim_env["VENVSHIM_HOME"])
    warm = (["sync"], ["pip", "install", "nativetool"])
    for args in warm:
        for _ in range(3):
            run_timed([sb.shim_uv, *args], env=sb.shim_env, cwd=project)
    before = state_snapshot(home)
    tool_run = ["tool", "run", "--from", "nativetool", "nt-sleep"]
    measured = [
        _pair(sb, sizes, "t1", "uv sync (a dependency, nothing to do)", ["sync"], project,
              TARGET_NO_OP),
        _pair(sb, sizes, "t2", "uv tool list", ["tool", "list"], sb.root, TARGET_PASS_THROUGH),
        _pair(sb, sizes, "t3", "uv tool run (cached tool)", tool_run, sb.root,
              TARGET_PASS_THROUGH),
        _pair(sb, sizes, "t4", "uv pip install (already installed)", list(warm[1]), project,
              TARGET_NO_OP),
    ]  # fmt: skip
    after = state_snapshot(home)
    cache = "unchanged while timed" if before == after else "REWRITTEN while timed (cache misses)"
    measured[0].note += f"; shim cache warm ({len(before)} files, {cache})"
    return measured


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    sizes = Sizes(args.quick, copies=False)
    with sandbox_dir(args.keep) as root:
        try:
            sb = Sandbox(root)
        except BenchError as exc:
            print(f"error: cannot set up the benchmark: {exc}", file=sys.stderr)
            return 2
        bench.describe_machine(sb)
        try:
            measured = rows(sb, sizes)
        except BenchError as exc:
            measured = [Row("t", "(could not be measured)", status="ERROR", note=str(exc)[:1500])]
        print_table(measured)
    failed = [r.key for r in measured if r.failed]
    print()
    print(f"missed or not measured: {', '.join(failed)}" if failed else "every target met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
