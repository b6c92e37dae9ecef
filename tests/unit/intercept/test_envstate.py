from __future__ import annotations

from pathlib import Path

from venvshim.intercept.envstate import FOREIGN, MISSING, REMNANT, VENV, classify


def _venv(path: Path, *, python: bool = True, cfg: bool = True) -> Path:
    (path / "bin").mkdir(parents=True)
    (path / "lib").mkdir()
    (path / ".gitignore").write_text("*\n")
    (path / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    if cfg:
        (path / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.11.7\n")
    if python:
        (path / "bin" / "python").symlink_to("/nonexistent/python3.11")  # dangling is still a venv
    return path


def test_kinds(tmp_path: Path) -> None:
    assert classify(tmp_path / "absent").kind == MISSING
    (tmp_path / "empty").mkdir()
    assert classify(tmp_path / "empty").kind == MISSING
    assert classify(_venv(tmp_path / "ok")).kind == VENV
    assert classify(_venv(tmp_path / "nopython", python=False)).kind == REMNANT
    assert classify(_venv(tmp_path / "nocfg", cfg=False, python=False)).kind == REMNANT


def test_user_data_is_foreign(tmp_path: Path) -> None:
    user = tmp_path / "user"
    (user / "bin").mkdir(parents=True)
    (user / "notes.txt").write_text("mine")
    assert classify(user).kind == FOREIGN
    skeleton_plus_data = _venv(tmp_path / "mixed", cfg=False, python=False)
    (skeleton_plus_data / "thesis.tex").write_text("mine")
    assert classify(skeleton_plus_data).kind == FOREIGN
    bare = tmp_path / "bare"
    (bare / "lib").mkdir(parents=True)  # no uv stamp: not recognisably uv's
    assert classify(bare).kind == FOREIGN
    (tmp_path / "file").write_text("line one\nline two\n")
    assert classify(tmp_path / "file").kind == FOREIGN


def test_symlink_and_redirect_file(tmp_path: Path) -> None:
    target = _venv(tmp_path / "target")
    (tmp_path / "link").symlink_to(target)
    state = classify(tmp_path / "link")
    assert state.kind == VENV and state.real_dir == target and state.path == tmp_path / "link"
    (tmp_path / "redirect").write_text(str(target) + "\n")
    state = classify(tmp_path / "redirect")
    assert state.kind == VENV and state.real_dir == target
