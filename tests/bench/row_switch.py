"""Row 3: `uv sync -p 3.13` after 3.12 with a 20,000-file environment.

Plain uv deletes the env in place; the shim renames it to a tombstone (background gc on). Only
the time until the command returns counts. After each run the new env is checked, then, outside
the timing, the shim's background gc is awaited so it neither competes with the next run nor
lets tombstones pile up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.bench import bigenv
from tests.bench.harness import BenchError, Row, Sizes, interleaved, med, run_ok, run_timed, spread
from tests.bench.sandbox import (
    SWITCH_FROM,
    SWITCH_TO,
    Sandbox,
    registry_records,
    rm_tree,
    tombstones_in,
)
from tests.support.hermetic import venv_version

SWITCH = ["sync", "-p", SWITCH_TO]
GC_WAIT_TIMEOUT = 120.0


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    home = sb.root / "state-switch"
    shim_env = {**sb.shim_env, "VENVSHIM_HOME": str(home)}
    projects = {"plain": sb.make_project("switch-plain"), "shim": sb.make_project("switch-shim")}
    gc_times: list[float] = []
    gc_timeouts = 0
    files_in_env = 0

    def prepare() -> None:
        nonlocal files_in_env
        for project in projects.values():
            sb.plain_sync(project, SWITCH_FROM)
            bigenv.fill(sb, project / ".venv", sizes)
        files_in_env = min(bigenv.count_files(p / ".venv") for p in projects.values())
        os.sync()  # no writeback of the fresh trees during the timed commands

    def verify(project: Path) -> None:
        venv = project / ".venv"
        got = venv_version(venv)
        if got != SWITCH_TO:
            raise BenchError(f"after the switch {venv} is Python {got}, not {SWITCH_TO}")
        if (bigenv.site_packages(venv) / bigenv.PACKAGE).exists():
            raise BenchError(f"after the switch {venv} still holds the 20k-file package")
        out = run_ok(
            [venv / "bin" / "python", "-c", "import sys; print(sys.version_info[1])"],
            env=sb.plain_env,
            cwd=project,
        )
        if out.stdout.strip() != SWITCH_TO.split(".")[1]:
            raise BenchError(f"{venv}/bin/python does not run Python {SWITCH_TO}")

    def plain() -> float:
        project = projects["plain"]
        t = run_timed([sb.plain_uv, *SWITCH], env=sb.plain_env, cwd=project, log=sb.log("3-plain"))
        verify(project)
        return t.seconds

    def shim() -> float:
        nonlocal gc_timeouts
        project = projects["shim"]
        t = run_timed([sb.shim_uv, *SWITCH], env=shim_env, cwd=project, log=sb.log("3-shim"))
        verify(project)
        waited = wait_collected(project, home)  # outside the timing
        if waited is None:
            gc_timeouts += 1
        else:
            gc_times.append(waited)
        return t.seconds

    n = bigenv.rounds(sizes)
    tp, ts = interleaved(n, plain, shim, before=prepare)
    for project in projects.values():
        rm_tree(project / ".venv")
    note = (
        f"env of {files_in_env} files; {SWITCH_FROM} -> {SWITCH_TO}; "
        f"spread plain {spread(tp)}, shim {spread(ts)}"
    )
    if gc_times:
        note += f"; background gc done {med(gc_times):.2f} s (median) after the shim returned"
    if gc_timeouts:
        note += f"; background gc missed {gc_timeouts} tombstone(s) within {GC_WAIT_TIMEOUT:g} s"
        note += " (removed by the benchmark)"
    what = f"uv sync -p {SWITCH_TO} after {SWITCH_FROM}, {bigenv.FAKE_FILES} files"
    return [Row("3", what, base=med(tp), shim=med(ts), target=0.5, n=n, note=note)]


def wait_collected(project: Path, home: Path, timeout: float = GC_WAIT_TIMEOUT) -> float | None:
    """Wait for the background gc to delete the project's tombstones; seconds, None on timeout.

    On timeout, remove them ourselves so disk usage stays bounded between rounds.
    """
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if not tombstones_in(project) and not registry_records(home):
            return time.perf_counter() - t0
        time.sleep(0.01)
    for tomb in tombstones_in(project):
        rm_tree(tomb)
    for rec in registry_records(home):
        rec.unlink()
    return None
