"""Every field of every record is checked before anything is done with it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from venvshim.state import StateRoot
from venvshim.tombstones.registry import Registry, validate


def _good(tmp_path: Path) -> dict[str, object]:
    original = tmp_path / "proj" / ".venv"
    original.mkdir(parents=True, exist_ok=True)
    record = Registry(StateRoot(tmp_path / "state")).new(original, os.lstat(original))
    return record.to_json()


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("id", "../../x", "shape"),
        ("id", "20250101T000000-1-abc", "shape"),
        ("id", 7, "shape"),
        ("original", "relative/.venv", "absolute"),
        ("original", "/p/../etc/.venv", "normalised"),
        ("original", "/", "normalised"),
        ("path", "/home/victim", "lives"),
        ("kind", "bogus", "kind"),
        ("kind", ["env"], "kind"),
        ("label", "\x1b[31mred", "control"),
        ("label", "x" * 400, "short"),
        ("label", 3, "short"),
        ("created", "soon", "number"),
        ("created", 1e300, "range"),
        ("created", float("nan"), "range"),
        ("created", True, "number"),
        ("state", "deleting", "unknown"),
        ("dev", -1, "non-negative"),
        ("ino", "12", "non-negative"),
    ],
)
def test_a_wrong_field_is_refused(tmp_path: Path, field: str, value: object, why: str) -> None:
    data = _good(tmp_path)
    data[field] = value
    with pytest.raises(ValueError, match=why):
        validate(data)


def test_path_must_be_the_sibling_named_for_the_id(tmp_path: Path) -> None:
    data = _good(tmp_path)
    assert validate(data).path == data["path"]
    data["path"] = str(data["path"]).replace(".venvshim-tomb-", ".other-")
    with pytest.raises(ValueError, match="lives"):
        validate(data)
    data = _good(tmp_path)
    data["extra"] = 1
    with pytest.raises(ValueError, match="not a venvshim tombstone record"):
        validate(data)


def test_file_name_must_match_the_id(tmp_path: Path) -> None:
    data = _good(tmp_path)
    with pytest.raises(ValueError, match="file name"):
        validate(data, file_name="other.json")


def _write(path: Path, data: object, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps(data))
    path.chmod(mode)


def test_load_skips_what_it_cannot_trust(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    good = _good(tmp_path)
    _write(state.registry / f"{good['id']}.json", good)
    other = _good(tmp_path)
    _write(state.registry / f"{other['id']}.json", other, mode=0o666)  # others may write it
    link_target = tmp_path / "planted.json"
    _write(link_target, _good(tmp_path))
    (state.registry / "20250101T000000-1-0123456789abcdef.json").symlink_to(link_target)
    (state.registry / "garbage.json").write_bytes(b"\xff{not json")
    (state.registry / "garbage.json").chmod(0o600)
    records, problems = Registry(state).load()
    assert [r.id for r in records] == [good["id"]]
    assert len(problems) == 3
    assert any(str(other["id"]) in p and "only you can write" in p for p in problems)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_load_skips_a_record_owned_by_another_user(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    planted = _good(tmp_path)
    path = state.registry / f"{planted['id']}.json"
    _write(path, planted)
    os.chown(path, 65534, 65534)  # nobody
    records, problems = Registry(state).load()
    assert records == [] and len(problems) == 1


@pytest.mark.parametrize(
    ("kind", "original", "where"),
    [
        ("env", "/p/proj/.venv", "/p/proj/.venv.venvshim-tomb-{id}"),
        ("files", "/p/proj/.venv", "/p/proj/.venv.venvshim-files-{id}"),
        ("files", "/h/.local/bin", "/h/.local/.bin.venvshim-files-{id}"),
        ("tool", "/h/uv/tools/ruff", "/h/uv/.tools.venvshim/ruff.venvshim-tomb-{id}"),
        ("tool-files", "/h/uv/tools/ruff", "/h/uv/.tools.venvshim/ruff.venvshim-files-{id}"),
    ],
)  # fmt: skip
def test_each_kind_lives_in_one_place(tmp_path: Path, kind: str, original: str, where: str) -> None:
    """A tool tombstone is never inside uv's tool dir (uv would list it as a tool), and every
    kind has exactly one place for a given original and id."""
    data = _good(tmp_path)
    data.update(kind=kind, original=original, path=where.format(id=data["id"]))
    record = validate(data)
    assert record.kind == kind and record.path == where.format(id=data["id"])
    for other in ("env", "files", "tool", "tool-files"):
        if other != kind:
            with pytest.raises(ValueError):
                validate({**data, "kind": other})
    if kind.startswith("tool"):
        assert not record.path.startswith(os.path.dirname(original) + os.sep)


def test_a_tool_tombstone_needs_a_tool_dir(tmp_path: Path) -> None:
    data = _good(tmp_path)
    data.update(kind="tool", original="/ruff", path=f"/..venvshim/ruff.venvshim-tomb-{data['id']}")
    with pytest.raises(ValueError, match="tool directory"):
        validate(data)


def test_records_written_before_kinds_are_project_envs(tmp_path: Path) -> None:
    data = _good(tmp_path)
    del data["kind"], data["label"]
    record = validate(data)
    assert (record.kind, record.label) == ("env", "")
    data["kind"] = "tool"  # not the old field set, not the new one
    with pytest.raises(ValueError, match="not a venvshim tombstone record"):
        validate(data)
