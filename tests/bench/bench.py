"""venvshim benchmark (issue 4): the uv shim against plain uv, interleaved, on this machine.

    python tests/bench/bench.py [--quick] [--only 1,3,ref]

Builds everything in a temporary directory (a clean PATH of `pythonX.Y` links and the real uv,
a shim installed with `venvshim install`, its own HOME, VENVSHIM_HOME and UV_CACHE_DIR), runs
every measurement as alternating A/B pairs and compares medians. Prints a table and exits 1 when
a measured target is missed (or a row could not be measured). See README.md beside this file.

This file is the entry point and the list of rows (ROWS); harness.py times and reports,
sandbox.py builds the sandbox on tests/support, and each row is a module of its own.
Not a pytest module (no `test_` prefix): timing assertions do not belong in the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: tests.bench and tests.support from the checkout

from tests.bench.harness import BenchError, Row, Sizes, error_row, print_table  # noqa: E402
from tests.bench.sandbox import Sandbox, describe, sandbox_dir  # noqa: E402


class Entry(NamedTuple):
    key: str  # what `--only` selects
    module: str  # tests/bench/<module>.py, whose `measure(sb, sizes) -> list[Row]` measures it
    default: bool = True  # False: run only when named by --only (a lane of its own)


# Every row, in table order. A new row is one new module and one line here.
ROWS: tuple[Entry, ...] = (
    Entry("1", "row_passthrough"),  # 1a, 1b
    Entry("2", "row_noop"),  # 2a, 2b
    Entry("3", "row_switch"),
    Entry("4", "row_gc"),
    Entry("5", "row_dry_run"),
    Entry("6", "row_prompt"),  # 6a-c
    Entry("7", "row_memory"),
    Entry("ref", "row_pyenv"),
    Entry("tools", "tools_rows", default=False),  # t1-t4: tools and packages
    Entry("wine", "wine_rows", default=False),  # w1, w2: the Windows front end under Wine
)

# A row that fails this way is reported as ERROR and the others still run: a command that could
# not start, an import or a call that venvshim's internals no longer offer (row 5), a bad value.
ROW_ERRORS = (
    BenchError,
    OSError,
    subprocess.SubprocessError,
    ImportError,
    AttributeError,
    TypeError,
    ValueError,
)


def measure_row(key: str, module: str, sb: Sandbox, sizes: Sizes) -> list[Row]:
    try:
        measure = importlib.import_module(f"tests.bench.{module}").measure
        rows: list[Row] = measure(sb, sizes)
    except ROW_ERRORS as exc:
        detail = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        return [error_row(key, detail)]
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (about 40 s)")
    parser.add_argument(
        "--copies",
        action="store_true",
        help="rows 3-4: fill envs with new files (cp -a), not hard links (slow)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    keys = ",".join(entry.key for entry in ROWS)
    parser.add_argument(
        "--only", help=f"comma-separated rows to run, of {keys} (tools and wine only when named)"
    )
    parser.add_argument(
        "--hooks-dir",
        type=Path,
        default=REPO / "hooks",
        help="where venvshim.{bash,zsh,fish} are (default: hooks/)",
    )
    args = parser.parse_args(argv)
    args.only = set(args.only.split(",")) if args.only else None
    unknown = sorted((args.only or set()) - {entry.key for entry in ROWS})
    if unknown:
        parser.error(f"no row {', '.join(unknown)} (rows: {keys})")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes(args.quick, args.copies)
    rows: list[Row] = []
    started = time.perf_counter()
    with sandbox_dir(args.keep) as root:
        try:
            sb = Sandbox(root, args.hooks_dir)
        except BenchError as exc:
            print(f"error: cannot set up the benchmark: {exc}", file=sys.stderr)
            return 2
        describe(sb)
        for entry in ROWS:
            if not (entry.key in args.only if args.only is not None else entry.default):
                continue
            t0 = time.perf_counter()
            print(f"running row {entry.key} ...", flush=True)
            rows += measure_row(entry.key, entry.module, sb, sizes)
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
        print()
        print_table(rows)
    failed = [r.key for r in rows if r.failed]
    print()
    print(
        f"total {time.perf_counter() - started:.0f} s; "
        + (
            f"missed or not measured: {', '.join(failed)}"
            if failed
            else "every measured target met"
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
