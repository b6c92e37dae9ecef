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
    skeleton = _venv(tmp_path / "nocfg", cfg=False, python=False)
    assert classify(skeleton).kind == FOREIGN  # uv's markers alone prove nothing
    (skeleton / "bin" / "activate").write_text("# uv's\n")
    assert classify(skeleton).kind == REMNANT


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


# ------------------------------------------------------------------ leftovers of uv < 0.8.1

ACTIVATION = ("activate", "activate.csh", "activate.ps1", "activate_this.py", "pydoc.bat")


def test_pre_081_posix_leftover_is_uv_s(tmp_path: Path) -> None:
    """What uv 0.7.12 leaves on ext4 when a file in bin/ is in use: bin/ with the activation
    scripts, an interpreter link and the held file; no pyvenv.cfg."""
    left = tmp_path / ".venv"
    (left / "bin").mkdir(parents=True)
    for name in ACTIVATION:
        (left / "bin" / name).write_text("# uv's\n")
    (left / "bin" / "python3.12").symlink_to("/nonexistent/python3.12")
    (left / "bin" / "tool").write_text(f"#!{left}/bin/python\nimport tool\n")  # an entry point
    assert classify(left).kind == REMNANT


def test_windows_seed_leftover_is_uv_s(tmp_path: Path) -> None:
    """NTFS deletes in name order: `.gitignore`, `CACHEDIR.TAG`, `Lib`, `pyvenv.cfg` before
    `Scripts`, whose activation scripts sort before `python.exe`, the file in use."""
    left = tmp_path / ".venv"
    (left / "Scripts").mkdir(parents=True)
    (left / "Scripts" / "python.exe").write_bytes(b"MZ launcher")
    (left / "Scripts" / "pythonw.exe").write_bytes(b"MZ launcher")
    assert classify(left).kind == REMNANT


def test_trampoline_entry_points_are_uv_s(tmp_path: Path) -> None:
    left = tmp_path / ".venv"
    (left / "Scripts").mkdir(parents=True)
    (left / "Scripts" / "old.exe").write_bytes(b"MZ" + b"\0" * 64 + b"zip...UVSC")
    resource = "UV_TRAMPOLINE_KIND".encode("utf-16-le")
    (left / "Scripts" / "new.exe").write_bytes(b"MZ" + b"\0" * 64 + resource + b"\0" * 8)
    assert classify(left).kind == REMNANT
    (left / "Scripts" / "mine.exe").write_bytes(b"MZ a program of the user's")
    assert classify(left).kind == FOREIGN


def test_a_user_directory_with_uv_like_names_is_foreign(tmp_path: Path) -> None:
    """bin/, lib/ and a `*` .gitignore, no pyvenv.cfg: with user files, or empty (no file only
    uv makes), it is never taken for uv's."""
    user = tmp_path / ".venv"
    (user / "bin").mkdir(parents=True)
    (user / "lib").mkdir()
    (user / ".gitignore").write_text("*\n")
    assert classify(user).kind == FOREIGN  # nothing proves uv made it
    (user / "bin" / "activate").write_text("# looks like uv's\n")
    assert classify(user).kind == REMNANT
    (user / "lib" / "data.csv").write_text("1,2\n")
    assert classify(user).kind == FOREIGN
    (user / "lib" / "data.csv").unlink()
    (user / "bin" / "run.sh").write_text("#!/bin/sh\necho mine\n")
    assert classify(user).kind == FOREIGN
    (user / "bin" / "run.sh").unlink()
    (user / "lib" / "python3.12" / "site-packages" / "pkg").mkdir(parents=True)
    (user / "lib" / "python3.12" / "notes.txt").write_text("mine\n")
    assert classify(user).kind == FOREIGN


def test_an_unknown_file_in_use_is_what_uv_could_not_delete(tmp_path: Path) -> None:
    import subprocess
    import sys

    left = tmp_path / ".venv"
    (left / "bin").mkdir(parents=True)
    for name in ACTIVATION:
        (left / "bin" / name).write_text("# uv's\n")
    held = left / "bin" / "nt-sleep"
    held.write_text("a native entry point")
    assert classify(left).kind == FOREIGN  # not in use: could be the user's
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1]); sys.stdin.read()", str(held)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    try:
        import time

        deadline = time.monotonic() + 10
        while classify(left).kind != REMNANT and time.monotonic() < deadline:
            time.sleep(0.05)
        assert classify(left).kind == REMNANT
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


def test_states_uv_handles_itself_never_raise(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    assert classify(loop).kind in (FOREIGN, MISSING)
    locked = tmp_path / "locked"
    (locked / "bin").mkdir(parents=True)
    locked.chmod(0)
    try:
        assert classify(locked).kind in (FOREIGN, VENV, REMNANT, MISSING)
    finally:
        locked.chmod(0o755)


def test_bin_proven_by_an_activation_script_naming_this_env(tmp_path: Path) -> None:
    """uv < 0.8.1 left bin/ with the activation scripts and the program that was in use: once
    that program has exited, `activate` naming this very directory still proves bin/ is uv's."""
    left = tmp_path / ".venv"
    (left / "bin").mkdir(parents=True)
    (left / "bin" / "tool").write_bytes(b"\x7fELF a native entry point")
    (left / "bin" / "activate").write_text(f"VIRTUAL_ENV='{tmp_path / 'elsewhere'}'\n")
    assert classify(left).kind == FOREIGN  # another env's script proves nothing here
    (left / "bin" / "activate").write_text(f"VIRTUAL_ENV='{left}'\nexport VIRTUAL_ENV\n")
    assert classify(left).kind == REMNANT
    (left / "notes.txt").write_text("mine\n")
    assert classify(left).kind == FOREIGN
