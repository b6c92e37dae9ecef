"""state.py: where the state root is, and which state root is trusted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from venvshim.errors import VenvshimError
from venvshim.state import StateRoot, default_home, read_private


def test_default_home_per_platform() -> None:
    assert default_home({"VENVSHIM_HOME": "/s"}) == Path("/s")
    assert default_home({"XDG_STATE_HOME": "/x", "HOME": "/h"}, "linux") == Path("/x/venvshim")
    assert default_home({"HOME": "/h"}, "linux") == Path("/h/.local/state/venvshim")
    assert default_home({"LOCALAPPDATA": r"C:\L"}, "win32") == Path(r"C:\L") / "venvshim"


def test_ensure_creates_a_private_root_and_refuses_a_shared_one(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "a" / "state").ensure()
    assert state.home.is_dir() and state.home.stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(VenvshimError, match="can be written by other users") as info:
        StateRoot(shared).ensure()
    assert info.value.hint and "VENVSHIM_HOME" in info.value.hint
    (tmp_path / "file").write_text("")
    with pytest.raises(VenvshimError, match="is not a directory"):
        StateRoot(tmp_path / "file").check()
    StateRoot(tmp_path / "absent").check()  # nothing there: nothing to distrust


def test_a_link_to_the_users_own_directory_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    assert StateRoot(tmp_path / "link").check().problem() is None


def test_read_private(tmp_path: Path) -> None:
    ok = tmp_path / "ok"
    ok.write_bytes(b"data")
    ok.chmod(0o600)
    assert read_private(ok) == b"data"
    ok.chmod(0o622)
    assert read_private(ok) is None  # others can write it
    ok.chmod(0o600)
    (tmp_path / "link").symlink_to(ok)
    assert read_private(tmp_path / "link") is None  # never through a link
    os.mkfifo(tmp_path / "fifo", 0o600)
    assert read_private(tmp_path / "fifo") is None  # never blocks on a fifo
    assert read_private(tmp_path / "absent") is None
