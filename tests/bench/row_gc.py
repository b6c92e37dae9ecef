"""Row 4: `venvshim gc` of a registered 20,000-file tombstone vs `rm -rf` of the same tree.

The tombstone comes from a real switch through the shim (background gc off); `rm -rf` gets a
copy of it (`cp -al`, or `cp -a` with --copies), made before each pair, outside the timing.
"""

from __future__ import annotations

import os
import shutil

from tests.bench import bigenv
from tests.bench.harness import BenchError, Row, Sizes, interleaved, med, run_timed, spread
from tests.bench.sandbox import (
    SWITCH_FROM,
    SWITCH_TO,
    Sandbox,
    registry_records,
    rm_tree,
    tombstones_in,
)


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    home = sb.root / "state-gc"
    make_env = {**sb.shim_env, "VENVSHIM_HOME": str(home), "VENVSHIM_NO_BACKGROUND_GC": "1"}
    gc_env = {**sb.plain_env, "VENVSHIM_HOME": str(home)}
    project = sb.make_project("gc")
    rm_target = sb.root / "rm-target"
    rm_bin = shutil.which("rm") or "/bin/rm"
    files = 0

    def prepare() -> None:
        nonlocal files
        sb.plain_sync(project, SWITCH_FROM)
        bigenv.fill(sb, project / ".venv", sizes)
        switch = ["sync", "-p", SWITCH_TO]
        run_timed([sb.shim_uv, *switch], env=make_env, cwd=project, log=sb.log("4-make"))
        tombs = tombstones_in(project)
        if len(tombs) != 1 or len(registry_records(home)) != 1:
            raise BenchError(f"expected one registered tombstone in {project}, found {tombs}")
        bigenv.copy_tree(tombs[0], rm_target, links=sizes.links)
        files = bigenv.count_files(tombs[0])
        os.sync()

    def gc() -> float:
        log = sb.log("4-gc")
        t = run_timed([*sb.cli, "gc"], env=gc_env, cwd=sb.root, log=log)
        if tombs_left := tombstones_in(project):
            raise BenchError(f"venvshim gc left {tombs_left}: {log.read_text()[-800:]}")
        return t.seconds

    def rm() -> float:
        t = run_timed([rm_bin, "-rf", rm_target], env=sb.plain_env, cwd=sb.root)
        if rm_target.exists():
            raise BenchError(f"rm -rf left {rm_target}")
        return t.seconds

    n = bigenv.rounds(sizes)
    tg, tr = interleaved(n, gc, rm, before=prepare)
    rm_tree(project / ".venv")
    note = f"tombstone of {files} files; spread rm {spread(tr)}, gc {spread(tg)}"
    what = "venvshim gc (20k-file tombstone) vs rm -rf"
    return [Row("4", what, base=med(tr), shim=med(tg), target=1.25, n=n, note=note)]
