"""gc's safety rules with a given process table: what it deletes, what it never does."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from venvshim.state import StateRoot
from venvshim.tombstones import gc as gc_mod
from venvshim.tombstones.holders import Proc
from venvshim.tombstones.registry import ACTIVE, PENDING, Record, Registry


def make_tombstone(
    state: StateRoot, parent: Path, *, name: str = ".venv", state_name: str = ACTIVE
) -> tuple[Record, Path]:
    """An environment renamed to a registered tombstone, as swap.tombstone does."""
    original = parent / name
    (original / "lib" / "site-packages").mkdir(parents=True)
    (original / "pyvenv.cfg").write_text("version_info = 3.10.13\n")
    (original / "lib" / "site-packages" / "m.py").write_text("x = 1\n")
    registry = Registry(state)
    record = registry.new(original, os.lstat(original))
    record.state = state_name
    registry.save(record)
    original.rename(record.path)
    return record, Path(record.path)


def _actions(state: StateRoot, procs: list[Proc] | None = None, **kw: object) -> list[str]:
    result = gc_mod.collect(state, dry_run=bool(kw.get("dry_run")), procs=procs or [])
    return [o.action for o in result.outcomes]


def test_deletes_a_free_tombstone_and_forgets_it(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    assert _actions(state, dry_run=True) == ["would-delete"] and tomb.exists()
    assert _actions(state) == ["deleted"]
    assert not tomb.exists() and Registry(state).load() == ([], [])


def test_keeps_a_held_tombstone(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    record, tomb = make_tombstone(state, tmp_path)
    holder = Proc(4242, "code", 0.0, [("open", str(tomb / "pyvenv.cfg"))], [], None)
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[holder]).outcomes
    assert outcome.action == "held" and outcome.holders[0].pid == 4242
    assert tomb.exists() and [r.id for r in Registry(state).load()[0]] == [record.id]


def test_never_deletes_a_directory_with_another_identity(tmp_path: Path) -> None:
    """The record's device and inode are the proof: a directory put at the tombstone's path
    after the rename (same name, other inode) is not venvshim's and is never touched."""
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    tomb.rename(tmp_path / "moved-away")
    tomb.mkdir()
    (tomb / "pyvenv.cfg").write_text("someone else's\n")
    assert _actions(state) == ["refused"]
    assert (tomb / "pyvenv.cfg").read_text() == "someone else's\n"


def test_registry_path_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    precious = tmp_path / "precious"
    tomb.rename(precious)
    tomb.symlink_to(precious)  # same identity through the link, but it is not ours to follow
    assert _actions(state) == ["refused"]
    assert (precious / "pyvenv.cfg").exists()


def test_tombstone_swapped_for_a_link_between_check_and_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever can write the tombstone's parent swaps it for a link right after gc checked it:
    the deletion goes through a handle opened without following links, and refuses."""
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    victim = tmp_path / "victim-home"
    (victim / "lib").mkdir(parents=True)
    (victim / "lib" / "thesis.tex").write_text("years of work\n")
    real_holders_of = gc_mod.holders.holders_of

    def swap_then_answer(*args: object, **kwargs: object) -> list[object]:
        tomb.rename(tmp_path / "elsewhere")
        tomb.symlink_to(victim)
        return real_holders_of(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gc_mod.holders, "holders_of", swap_then_answer)
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[]).outcomes
    assert outcome.action == "refused", outcome.detail
    assert (victim / "lib" / "thesis.tex").read_text() == "years of work\n"


def test_links_inside_are_removed_not_followed(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (tomb / "lib" / "link-to-outside").symlink_to(outside)
    (tomb / "file-link").symlink_to(outside / "keep.txt")
    assert _actions(state) == ["deleted"] and not tomb.exists()
    assert (outside / "keep.txt").read_text() == "mine"


def test_partial_deletion_stays_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = StateRoot(tmp_path / "state")
    record, tomb = make_tombstone(state, tmp_path)
    monkeypatch.setattr(gc_mod.delete, "delete", lambda _r: ["lib/x.pyd: Access is denied"])
    (outcome,) = gc_mod.collect(state, dry_run=False, procs=[]).outcomes
    assert outcome.action == "partial" and tomb.exists() and "Access is denied" in outcome.detail
    assert [r.id for r in Registry(state).load()[0]] == [record.id]


def test_interrupted_swap_records(tmp_path: Path) -> None:
    """A shim killed after registering, before renaming: the env is in place, untouched."""
    state = StateRoot(tmp_path / "state")
    original = tmp_path / ".venv"
    original.mkdir()
    (original / "pyvenv.cfg").write_text("x")
    registry = Registry(state)
    record = registry.new(original, os.lstat(original))
    record.id = record.id.replace(f"-{os.getpid()}-", "-999999999-")  # its pid is gone
    record.path = str(tmp_path / f".venv.venvshim-tomb-{record.id}")
    registry.save(record)
    assert _actions(state) == ["gone"]
    assert (original / "pyvenv.cfg").exists() and registry.load() == ([], [])
    # A live shim's PENDING record is left alone: it is mid-swap.
    live = registry.new(original, os.lstat(original))
    assert live.state == PENDING and live.created <= time.time()
    registry.save(live)
    assert _actions(state) == ["in-flight"] and [r.id for r in registry.load()[0]] == [live.id]


def test_a_malformed_record_is_skipped_and_the_rest_collected(tmp_path: Path) -> None:
    """One bad record (a non-numeric pid, a timestamp out of range, ...) never stops gc."""
    state = StateRoot(tmp_path / "state")
    _first, first = make_tombstone(state, tmp_path, name="a")
    _second, second = make_tombstone(state, tmp_path, name="b")
    bad = state.registry / "20250101T000000-x-0123456789abcdef.json"
    bad.write_text(json.dumps({"id": "20250101T000000-x-0123456789abcdef", "created": 1e300}))
    bad.chmod(0o600)
    result = gc_mod.collect(state, dry_run=False, procs=[])
    assert [o.action for o in result.outcomes] == ["deleted", "deleted"]
    assert not first.exists() and not second.exists()
    assert len(result.warnings) == 1 and bad.name in result.warnings[0]


def test_parallel_delete_of_a_deep_tree_never_follows_links(tmp_path: Path) -> None:
    """The tree is split four levels down (site-packages/*) for parallel `rm`s; a link found
    while splitting is removed, never descended."""
    state = StateRoot(tmp_path / "state")
    _record, tomb = make_tombstone(state, tmp_path)
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
    assert _actions(state) == ["deleted"] and not tomb.exists()
    assert (outside / "deep" / "keep.txt").read_text() == "mine"
