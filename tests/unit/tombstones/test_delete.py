"""Deleting through handles: mounts inside a tombstone are never entered, nothing is followed.

Mount tests mount a real tmpfs / bind mount (the tests run as root in CI; elsewhere they skip
locally and fail in CI through tests.conftest.require)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require
from tests.unit.tombstones.test_gc import make_tombstone
from venvshim.state import StateRoot
from venvshim.tombstones import delete
from venvshim.tombstones import gc as gc_mod


@contextmanager
def mounted(argv: list[str], where: Path) -> Iterator[None]:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", *argv, str(where)], capture_output=True, text=True)
    require(proc.returncode == 0, f"mounting needs root: {proc.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.mark.parametrize("kind", ["tmpfs", "bind"])
def test_a_mount_inside_a_tombstone_is_never_entered(tmp_path: Path, kind: str) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "data.csv").write_text("precious\n")
    point = tomb / "lib" / "cache"
    argv = ["-t", "tmpfs", "none"] if kind == "tmpfs" else ["--bind", str(victim)]
    with mounted(argv, point):
        (point / "inside.txt").write_text("on the mounted filesystem\n")
        (outcome,) = gc_mod.collect(state, dry_run=False, procs=[]).outcomes
        assert outcome.action == "refused" and "mounted" in outcome.detail
        assert (point / "inside.txt").read_text() == "on the mounted filesystem\n"
        assert (tomb / "pyvenv.cfg").exists()  # nothing of it was deleted either
    assert (victim / "data.csv").read_text() == "precious\n"
    assert [o.action for o in gc_mod.collect(state, dry_run=False, procs=[]).outcomes] == [
        "deleted"
    ]


def test_mount_points_under_reads_escaped_paths(tmp_path: Path) -> None:
    odd = tmp_path / "a dir\twith\\odd name"
    with mounted(["-t", "tmpfs", "none"], odd / "m"):
        assert delete.mount_points_under(str(odd)) == [str(odd / "m")]
        assert delete.mount_points_under(str(tmp_path / "a dir")) == []


@pytest.mark.parametrize("with_rm", [True, False])
def test_fd_walk_removes_everything_and_follows_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_rm: bool
) -> None:
    """Both ways of emptying (GNU rm on verified handles; the pure fd walk used elsewhere)."""
    if not with_rm:
        monkeypatch.setattr(delete, "RM", "/nonexistent/rm")
    state = StateRoot(tmp_path / "state")
    record, tomb = make_tombstone(state, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("mine")
    for d in range(30):
        sub = tomb / "lib" / "python3.12" / "site-packages" / f"p{d}"
        sub.mkdir(parents=True)
        (sub / "m.py").write_text("x\n")
        (sub / "out").symlink_to(outside)
    (tomb / "bin").mkdir()
    (tomb / "bin" / "python").symlink_to("/usr/bin/python3")
    assert delete.delete(record) == []
    assert not tomb.exists() and (outside / "keep").read_text() == "mine"
    assert os.path.exists("/usr/bin/python3")


def test_identity_is_checked_on_the_handle(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    record, tomb = make_tombstone(state, tmp_path)
    record.ino += 1
    with pytest.raises(delete.Refused):
        delete.delete(record)
    assert (tomb / "pyvenv.cfg").exists()


def test_the_bulk_of_a_venv_is_shared_out_among_the_workers(tmp_path: Path) -> None:
    """A venv's bulk sits under one directory (site-packages/*, a package's sub-packages): its
    sub-trees go to several rm processes, disjoint and together complete, the biggest first."""
    tomb = tmp_path / "tomb"
    pkg = tomb / "lib" / "python3.12" / "site-packages" / "big"
    for i in range(40):
        (pkg / f"sub{i:02d}").mkdir(parents=True)
    (tomb / "bin").mkdir()
    (tomb / "bin" / "python").write_text("")
    fd = os.open(tomb, os.O_RDONLY | os.O_DIRECTORY)
    opened: list[int] = []
    try:
        units = delete._units(fd, os.fstat(fd).st_dev, opened, workers=2)
        pieces = [(os.readlink(f"/proc/self/fd/{d}"), n) for d, n in units]
    finally:
        for handle in [*opened, fd]:
            os.close(handle)
    big = [n for where, n in pieces if where == str(pkg)]
    assert len(big) == 2, pieces
    assert sorted(n for piece in big for n in piece) == [f"sub{i:02d}" for i in range(40)]
    assert pieces[0][0] == str(pkg), "the biggest unit starts first"
