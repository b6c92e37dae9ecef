"""gc's safety rules with an empty (faked) process table: what it deletes, what it never does."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from venvshim.state import ACTIVE, MARKER, PENDING, StateRoot
from venvshim.tombstones import gc as gc_mod
from venvshim.tombstones.holders import Proc


def _tombstone(state: StateRoot, parent: Path, *, state_name: str = ACTIVE):  # type: ignore[no-untyped-def]
    original = parent / ".venv"
    record = state.new_record(original)
    record.state = state_name
    tomb = Path(record.path)
    (tomb / "lib" / "site-packages").mkdir(parents=True)
    (tomb / "pyvenv.cfg").write_text("version_info = 3.10.13\n")
    (tomb / "lib" / "site-packages" / "m.py").write_text("x = 1\n")
    (tomb / MARKER).write_text(record.marker_text())
    state.save(record)
    return record, tomb


def test_deletes_a_free_tombstone_and_forgets_it(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    outcomes = gc_mod.collect(state, dry_run=True, procs=[])
    assert [o.action for o in outcomes] == ["would-delete"] and tomb.exists()
    outcomes = gc_mod.collect(state, dry_run=False, procs=[])
    assert [o.action for o in outcomes] == ["deleted"]
    assert not tomb.exists() and list(state.records()) == []


def test_keeps_a_held_tombstone(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    record, tomb = _tombstone(state, tmp_path)
    holder = Proc(4242, "code", 0.0, [("open", str(tomb / "pyvenv.cfg"))], [], None)
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[holder])
    assert outcome.action == "held" and outcome.holders[0].pid == 4242
    assert tomb.exists() and [r.id for r in state.records()] == [record.id]


def test_never_deletes_without_matching_marker(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    (tomb / MARKER).write_text('{"id": "someone-else", "original": "/x"}\n')
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "refused" and (tomb / "pyvenv.cfg").exists()
    (tomb / MARKER).unlink()
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "refused" and (tomb / "pyvenv.cfg").exists()


def test_registry_path_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    precious = tmp_path / "precious"
    tomb.rename(precious)
    tomb.symlink_to(precious)  # marker matches through the link, but it is not ours to follow
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "refused" and (precious / "pyvenv.cfg").exists()


def test_links_inside_are_removed_not_followed(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (tomb / "lib" / "link-to-outside").symlink_to(outside)
    (tomb / "file-link").symlink_to(outside / "keep.txt")
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "deleted" and not tomb.exists()
    assert (outside / "keep.txt").read_text() == "mine"


def test_partial_deletion_stays_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = StateRoot(tmp_path / "state")
    record, tomb = _tombstone(state, tmp_path)
    monkeypatch.setattr(gc_mod, "delete_tree", lambda _t: ["lib/x.pyd: Access is denied"])
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "partial" and tomb.exists() and "Access is denied" in outcome.detail
    assert [r.id for r in state.records()] == [record.id]


def test_delete_tree_removes_marker_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deletion interrupted midway must leave the marker, so the retry is still allowed."""
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    monkeypatch.setattr(gc_mod.sys, "platform", "win32")  # the pure-Python path
    real_unlink = Path.unlink

    def failing_unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "pyvenv.cfg":
            raise PermissionError(13, "Access is denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", failing_unlink)
    errors = gc_mod.delete_tree(tomb)
    assert errors and (tomb / MARKER).exists() and (tomb / "pyvenv.cfg").exists()


def test_interrupted_swap_records(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    original = tmp_path / ".venv"
    original.mkdir()
    (original / "pyvenv.cfg").write_text("x")
    record = state.new_record(original)
    # A shim killed after writing the marker, before renaming (its pid is gone).
    record.id = record.id.replace(f"-{os.getpid()}-", "-999999999-")
    (original / MARKER).write_text(record.marker_text())
    state.save(record)
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "gone"
    assert not (original / MARKER).exists() and (original / "pyvenv.cfg").exists()
    assert list(state.records()) == []
    # A live shim's PENDING record is left alone: it is mid-swap.
    live = state.new_record(original)
    assert live.state == PENDING and live.created <= time.time()
    state.save(live)
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "in-flight" and [r.id for r in state.records()] == [live.id]


def test_parallel_delete_of_a_deep_tree_never_follows_links(tmp_path: Path) -> None:
    """The tree is split four levels down (site-packages/*) for parallel `rm`s; a link found
    while splitting is removed, never descended."""
    state = StateRoot(tmp_path / "state")
    _record, tomb = _tombstone(state, tmp_path)
    site = tomb / "lib" / "python3.12" / "site-packages"
    for d in range(40):
        (site / f"pkg{d}").mkdir(parents=True)
        for f in range(5):
            (site / f"pkg{d}" / f"m{f}.py").write_text("x = 1\n")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "keep.txt").write_text("mine")
    (site / "zz-link").symlink_to(outside)
    (tomb / "lib64").symlink_to("lib")
    pieces = gc_mod._subtrees([str(p) for p in tomb.iterdir()], want=16)
    assert sum(map(gc_mod._is_real_dir, pieces)) >= 16
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[])
    assert outcome.action == "deleted" and not tomb.exists()
    assert (outside / "deep" / "keep.txt").read_text() == "mine"
