"""Files in use moved aside into one registered tombstone, and put back where uv left a place
empty that is still wanted; held files found by a given process table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.tombstones.test_dists import make_env
from venvshim.state import StateRoot
from venvshim.tombstones import files
from venvshim.tombstones.holders import Holder, Proc
from venvshim.tombstones.registry import ACTIVE, Registry


def _held(path: Path) -> dict[str, Holder]:
    return {str(path): Holder(7, "tool", "exe", str(path))}


def test_held_matches_exe_mapped_and_open_only(tmp_path: Path) -> None:
    a, b, c = (str(tmp_path / n) for n in "abc")
    procs = [
        Proc(1, "x", 0.0, [("exe", a)], []),
        Proc(2, "y", 0.0, [("mapped", b + " (deleted)"), ("cwd", c)], []),
        Proc(os.getpid(), "me", 0.0, [("open", c)], []),
    ]
    found = files.held([a, b, c], procs)
    assert sorted(found) == [a, b]
    assert found[a].pid == 1 and found[b].kind == "mapped"
    assert files.held([], procs) == {}


def test_move_aside_then_put_back_what_is_still_listed(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = make_env(tmp_path / "env", {"tool-1.0": ["../../../bin/tool", "../../../bin/gone"]})
    tool, gone = env / "bin" / "tool", env / "bin" / "gone"
    tool.write_bytes(b"v1")
    gone.write_bytes(b"old")
    record = files.move_aside(state, env, {**_held(tool), **_held(gone)}, label="tool 1.0")
    assert record.state == ACTIVE and record.kind == "files"
    assert Path(record.path) == tmp_path / f".env.venvshim-files-{record.id}"
    assert not tool.exists() and (Path(record.path) / "bin" / "tool").read_bytes() == b"v1"
    assert [r.id for r in Registry(state).load()[0]] == [record.id]
    # uv replaced `gone` by a new file and kept `tool`'s dist: only `tool` goes back.
    gone.write_bytes(b"new")
    assert files.put_back(record, files.env_wants(env), state) is False
    assert tool.read_bytes() == b"v1" and gone.read_bytes() == b"new"
    assert files.contents(record) == [os.path.join("bin", "gone")]


def test_put_back_nothing_of_a_removed_dist_and_forget_an_empty_tombstone(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = make_env(tmp_path / "env", {"tool-1.0": ["../../../bin/tool"]})
    tool = env / "bin" / "tool"
    tool.write_bytes(b"v1")
    record = files.move_aside(state, env, _held(tool))
    info = env / "lib" / "python3.12" / "site-packages" / "tool-1.0.dist-info"
    (info / "RECORD").unlink()
    info.rmdir()  # uv uninstalled the dist
    assert files.put_back(record, files.env_wants(env), state) is False
    assert not tool.exists()
    # uv never ran: everything goes back, and the empty tombstone is gone with its record.
    assert files.put_back(record, set, state) is True
    assert tool.read_bytes() == b"v1"
    assert not Path(record.path).exists() and Registry(state).load() == ([], [])


def test_a_file_that_cannot_move_puts_everything_back(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = make_env(tmp_path / "env", {})
    first = env / "bin" / "first"
    first.write_bytes(b"1")
    missing = env / "bin" / "missing"  # the rename fails: as for a file open on Windows
    with pytest.raises(files.FilesInUse, match="pid 7"):
        files.move_aside(state, env, {**_held(first), **_held(missing)})
    assert first.read_bytes() == b"1"
    assert Registry(state).load() == ([], [])
    assert not any(".venvshim-files-" in p.name for p in tmp_path.iterdir())


def test_a_path_outside_the_root_is_refused(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = make_env(tmp_path / "env", {})
    outside = tmp_path / "outside"
    outside.write_text("x")
    with pytest.raises(ValueError, match="not inside"):
        files.move_aside(state, env, _held(outside))
    assert outside.read_text() == "x"


def test_settle_only_for_environments(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = make_env(tmp_path / "env", {"tool-1.0": ["../../../bin/tool"]})
    tool = env / "bin" / "tool"
    tool.write_bytes(b"v1")
    record = files.move_aside(state, env, _held(tool))
    assert files.settle(record, state) is True and tool.read_bytes() == b"v1"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    entry = bin_dir / "tool"
    entry.write_bytes(b"copy")
    other = files.move_aside(state, bin_dir, _held(entry))
    assert files.settle(other, state) is False and not entry.exists()
