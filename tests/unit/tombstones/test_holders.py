from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from venvshim.tombstones.holders import Proc, holders_of, scan, tree_bytes

TOMB = "/p/.venv.venvshim-tomb-1"
ORIG = "/p/.venv"


def _proc(pid: int, *, paths=(), cmdline=(), venv=None, created=100.0, cwd="/p") -> Proc:  # type: ignore[no-untyped-def]
    return Proc(pid, f"proc{pid}", created, [("cwd", cwd), *paths], list(cmdline), venv)


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
