from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from venvshim.tombstones.holders import Proc, holders_of, scan, tree_bytes

TOMB = "/p/.venv.venvshim-tomb-1"
ORIG = "/p/.venv"


def _proc(pid: int, *, paths=(), cmdline=(), venv=None, created=100.0, cwd="/p", env=None) -> Proc:  # type: ignore[no-untyped-def]
    environ = dict(env or {})
    if venv is not None:
        environ["VIRTUAL_ENV"] = venv
    return Proc(pid, f"proc{pid}", created, [("cwd", cwd), *paths], list(cmdline), environ)


def test_matches_each_kind_of_hold() -> None:
    procs = [
        _proc(1, paths=[("exe", TOMB + "/bin/tool")]),
        _proc(2, paths=[("mapped", TOMB + "/lib/python3.11/site-packages/x.so (deleted)")]),
        _proc(3, paths=[("open", TOMB + "/notes.log")]),
        _proc(4, cwd=TOMB + "/lib"),
        _proc(5, cmdline=[".venv/bin/python", "-c", "pass"]),  # relative to cwd /p
        _proc(6, venv=ORIG),
        _proc(7, cmdline=["/usr/bin/python3"], venv="/other/.venv"),
        _proc(8, paths=[("open", "/p/.venv.venvshim-tomb-10/x")]),  # a sibling prefix, not under
        _proc(9, cmdline=[".venv/bin/python"], created=300.0),  # started after the swap
    ]
    found = holders_of(procs, TOMB, original=ORIG, since=200.0)
    assert [h.pid for h in found] == [1, 2, 3, 4, 5, 6]
    assert [h.kind for h in found] == ["exe", "mapped", "open", "cwd", "cmdline", "VIRTUAL_ENV"]
    assert "pid 1 (proc1): exe" in found[0].describe()


def test_every_way_a_process_was_started_from_the_env(tmp_path: Path) -> None:
    """Started before the swap, holding nothing under the env: what it was started with still
    names it (the project through a link, a relative path from where it started, PATH, ...)."""
    proj = tmp_path / "real" / "proj"
    (proj / ".venv" / "bin").mkdir(parents=True)
    (proj / ".venv" / "bin" / "python").touch(mode=0o755)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    orig = str(proj / ".venv")
    tomb = str(proj / ".venv.venvshim-tomb-1")
    other = tmp_path / "other"
    (other / "bin").mkdir(parents=True)
    (other / "bin" / "python").touch(mode=0o755)
    linked = str(tmp_path / "link" / "proj")
    procs = [
        # started as .venv/bin/python in the project, then changed directory
        _proc(1, cmdline=[".venv/bin/python", "x.py"], cwd="/tmp", env={"PWD": str(proj)}),
        # the project reached through a symlinked directory
        _proc(2, cmdline=[f"{linked}/.venv/bin/python", "-m", "pylsp"], cwd="/"),
        # `python` found first on PATH in the env's bin, no VIRTUAL_ENV
        _proc(3, cmdline=["python", "x.py"], env={"PATH": f"{orig}/bin:/usr/bin"}),
        _proc(4, env={"PYTHONPATH": f"/lib:{orig}/lib/python3.10/site-packages"}),
        _proc(5, env={"PYTHONHOME": f"{linked}/.venv"}),
        _proc(6, cmdline=[f"--python={orig}/bin/python"]),
        # not started from it: python found earlier on PATH, another env, a sibling name
        _proc(7, cmdline=["python"], env={"PATH": f"{other}/bin:{orig}/bin"}),
        _proc(8, cmdline=[f"{linked}/.venv2/bin/python"], env={"VIRTUAL_ENV": str(other)}),
        _proc(9, cmdline=["python", ".venv/bin/x"], cwd="/", env={"PWD": "/elsewhere"}),
    ]
    found = holders_of(procs, tomb, original=orig, since=200.0)
    assert [(h.pid, h.kind) for h in found] == [
        (1, "cmdline"), (2, "cmdline"), (3, "PATH"), (4, "PYTHONPATH"), (5, "PYTHONHOME"),
        (6, "cmdline"),
    ]  # fmt: skip


def test_scan_sees_a_real_process_holding_a_file(tmp_path: Path) -> None:
    held = tmp_path / "held.txt"
    held.write_text("x")
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1]); sys.stdin.read()", str(held)],
        stdin=subprocess.PIPE,
        cwd="/",
    )
    try:
        import time

        deadline = time.monotonic() + 10
        while True:
            found = holders_of(scan(), str(tmp_path))
            if (
                any(h.pid == proc.pid and h.kind == "open" for h in found)
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.05)
        assert [h.kind for h in found if h.pid == proc.pid] == ["open"]
        assert all(h.pid != os.getpid() for h in found)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def test_tree_bytes_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a").write_bytes(b"12345")
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "b").write_bytes(b"x" * 10000)
    (tmp_path / "t" / "link").symlink_to(tmp_path / "big")
    assert tree_bytes(tmp_path / "t") < 1000
