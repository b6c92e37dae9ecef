"""The benchmark's harness: run sizes, timing one command, A/B interleaving, medians, rows, table.

Knows nothing of uv or venvshim: the sandbox (sandbox.py) and the rows (row_*.py) do.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class BenchError(Exception):
    """A row could not be measured (setup failed, a command failed, a check did not hold)."""


class Sizes:
    """How many runs: each row picks its own counts for a quick and a full run."""

    def __init__(self, quick: bool, copies: bool) -> None:
        self.quick = quick
        self.links = not copies  # the 20k-file trees: hard links to one template, or copies

    def pick(self, quick: int, full: int) -> int:
        return quick if self.quick else full


# --- results --------------------------------------------------------------------------------


class Row:
    """One line of the table; PASS/FAIL from the ratio shim / base against the target."""

    def __init__(
        self,
        key: str,
        what: str,
        *,
        base: float | None = None,
        shim: float | None = None,
        unit: str = "ms",
        target: float | None = None,
        status: str | None = None,
        n: int | None = None,
        note: str = "",
    ) -> None:
        self.key = key
        self.what = what
        self.base = base
        self.shim = shim
        self.unit = unit
        self.target = target
        self.n = n
        self.note = note
        self.ratio = shim / base if base and shim is not None else None
        if status is None:
            if self.ratio is None or target is None:
                status = "ref"
            else:
                status = "PASS" if self.ratio <= target else "FAIL"
        self.status = status

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "ERROR")


def error_row(key: str, detail: str, what: str = "(could not be measured)") -> Row:
    return Row(key, what, status="ERROR", note=detail[:1500])


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        if value < 0.001:
            return f"{value * 1e6:.0f} us"
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value / 1024:.1f} MB"  # ru_maxrss is in KiB on Linux
    return f"{value:g} {unit}"


def print_table(rows: Sequence[Row]) -> None:
    header = ("row", "what", "plain", "shim", "ratio", "target", "n", "result")
    lines = []
    for r in rows:
        lines.append(
            (
                r.key,
                r.what,
                fmt_value(r.base, r.unit),
                fmt_value(r.shim, r.unit),
                "-" if r.ratio is None else f"{r.ratio:.2f}",
                "-" if r.target is None else f"<= {r.target:g}",
                "-" if r.n is None else str(r.n),
                r.status,
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    right = {2, 3, 4, 6}

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    print(fmt(header))
    print(fmt(["-" * w for w in widths]))
    for line in lines:
        print(fmt(line))
    notes = [(r.key, r.note) for r in rows if r.note]
    if notes:
        print()
        for key, note in notes:
            print(f"  {key}: {note}")


# --- running commands -----------------------------------------------------------------------


class Timed:
    __slots__ = ("maxrss", "returncode", "seconds")

    def __init__(self, seconds: float, returncode: int, maxrss: int) -> None:
        self.seconds = seconds
        self.returncode = returncode
        self.maxrss = maxrss  # KiB: this process and its reaped descendants (wait4)


def run_timed(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path | None = None,
    check: bool = True,
) -> Timed:
    """Wall time from spawn to exit, and the max RSS, of one command (stdio to `log`)."""
    args = [os.fspath(a) for a in argv]
    with open(log if log is not None else os.devnull, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(proc.pid, 0)
        t1 = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if check and proc.returncode != 0:
        tail = log.read_text(errors="replace")[-1500:] if log is not None else ""
        raise BenchError(f"`{shlex.join(args)}` (in {cwd}) exited {proc.returncode}\n{tail}")
    return Timed(t1 - t0, proc.returncode, usage.ru_maxrss)


def run_ok(
    argv: Sequence[str | os.PathLike[str]], *, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    args = [os.fspath(a) for a in argv]
    proc = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if proc.returncode != 0:
        raise BenchError(
            f"`{shlex.join(args)}` (in {cwd}) exited {proc.returncode}\n"
            f"{proc.stdout[-800:]}{proc.stderr[-1500:]}"
        )
    return proc


# --- statistics -------------------------------------------------------------------------------


def interleaved(
    n: int,
    a: Callable[[], float],
    b: Callable[[], float],
    *,
    before: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """n A/B pairs, alternating which goes first, so drift and noise hit both sides alike.

    `before`, if given, runs before each pair, outside the timing (e.g. rebuilding what a pair
    deletes)."""
    ta: list[float] = []
    tb: list[float] = []
    for i in range(n):
        if before is not None:
            before()
        if i % 2 == 0:
            ta.append(a())
            tb.append(b())
        else:
            tb.append(b())
            ta.append(a())
    return ta, tb


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """Interquartile range as a percentage of the median (noise indicator)."""
    if len(values) < 4:
        return "?"
    q = statistics.quantiles(values, n=4)
    return f"{(q[2] - q[0]) / statistics.median(values) * 100:.0f}%"
