"""The Windows file-locking emulation (tests/support/ntfsemu.c) behaves like NTFS.

Each rule is shown both ways: the operation fails with EACCES while another process holds the
path, and succeeds once that process has exited. Then the emulation reproduces uv issue #13986
with the real uv: `uv sync -p 3.11` while a program inside a 3.10 `.venv` runs fails half-way and
leaves a gutted environment (https://github.com/astral-sh/uv/issues/13986).
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.conftest import make_project, run, venv_version
from tests.support.ntfsemu import (
    NtfsemuKit,
    attempt,
    hold_cwd,
    hold_exe,
    hold_mapped,
    hold_open,
    preload_env,
)

pytest_plugins = ["tests.support.ntfsemu"]  # fixtures: ntfsemu_lib, ntfsemu
pytestmark = pytest.mark.e2e

PY = Path(sys.executable)
EACCES = errno.EACCES


def _file(path: Path, text: str = "data\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _copy_exe(holder: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(holder, dest)
    return dest


# ------------------------------------------------------------------ deleting a file


@pytest.mark.parametrize("op", ["unlink", "unlinkat", "remove"])
def test_open_file_cannot_be_deleted_until_closed(
    ntfsemu_lib: Path, tmp_path: Path, op: str
) -> None:
    target = _file(tmp_path / "held.txt")
    with hold_open(PY, target):
        assert attempt(ntfsemu_lib, op, target) == EACCES
        assert target.exists()
    assert attempt(ntfsemu_lib, op, target) == 0
    assert not target.exists()


def test_loaded_library_cannot_be_deleted_until_unloaded(
    ntfsemu: NtfsemuKit, tmp_path: Path
) -> None:
    target = tmp_path / "site-packages" / "_speedups.cpython-310-x86_64-linux-gnu.so"
    target.parent.mkdir()
    shutil.copy2(ntfsemu.extension, target)
    with hold_mapped(PY, target):
        assert attempt(ntfsemu.lib, "unlink", target) == EACCES
        assert attempt(ntfsemu.lib, "unlinkat", target) == EACCES
    assert attempt(ntfsemu.lib, "unlink", target) == 0


def test_running_exe_cannot_be_deleted_until_it_exits(ntfsemu: NtfsemuKit, tmp_path: Path) -> None:
    exe = _copy_exe(ntfsemu.holder, tmp_path / "Scripts" / "tool")
    with hold_exe(exe):
        assert attempt(ntfsemu.lib, "unlink", exe) == EACCES
        assert attempt(ntfsemu.lib, "remove", exe) == EACCES
    assert attempt(ntfsemu.lib, "unlink", exe) == 0


def test_unheld_file_and_symlink_to_held_file_can_be_deleted(
    ntfsemu_lib: Path, tmp_path: Path
) -> None:
    held = _file(tmp_path / "held.txt")
    free = _file(tmp_path / "free.txt")
    link = tmp_path / "link"
    link.symlink_to(held)
    with hold_open(PY, held):
        assert attempt(ntfsemu_lib, "unlink", free) == 0
        # The final component is not followed: the link itself is not held.
        assert attempt(ntfsemu_lib, "unlink", link) == 0
        assert held.exists()


def test_held_file_reached_through_a_symlinked_directory(ntfsemu_lib: Path, tmp_path: Path) -> None:
    held = _file(tmp_path / "real" / "held.txt")
    alias = tmp_path / "alias"
    alias.symlink_to(tmp_path / "real", target_is_directory=True)
    with hold_open(PY, held):
        assert attempt(ntfsemu_lib, "unlink", alias / "held.txt") == EACCES
        assert attempt(ntfsemu_lib, "unlink", alias / ".." / "real" / "held.txt") == EACCES


# ------------------------------------------------------------------ removing a directory


@pytest.mark.parametrize("op", ["rmdir", "rmdirat", "remove"])
def test_directory_that_is_a_cwd_cannot_be_removed(
    ntfsemu_lib: Path, tmp_path: Path, op: str
) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    with hold_cwd(PY, target):
        assert attempt(ntfsemu_lib, op, target) == EACCES
        assert target.is_dir()
    assert attempt(ntfsemu_lib, op, target) == 0
    assert not target.exists()


def test_directory_with_an_open_handle_cannot_be_removed(ntfsemu_lib: Path, tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    with hold_open(PY, target):
        assert attempt(ntfsemu_lib, "rmdir", target) == EACCES
    assert attempt(ntfsemu_lib, "rmdir", target) == 0


def test_rmtree_stops_at_the_held_file_and_leaves_the_rest_partial(
    ntfsemu_lib: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    for i in range(300):
        _file(tree / f"d{i % 7}" / f"f{i}.txt")
    held = tree / "d3" / "f3.txt"
    with hold_open(PY, held):
        start = time.monotonic()
        assert attempt(ntfsemu_lib, "rmtree", tree) == EACCES
        elapsed = time.monotonic() - start
    assert held.exists()
    # The holder set is cached, so a deletion storm does not rescan /proc for every file.
    assert elapsed < 10
    assert attempt(ntfsemu_lib, "rmtree", tree) == 0
    assert not tree.exists()


# ------------------------------------------------------------------ renaming a file


@pytest.mark.parametrize("op", ["rename", "renameat", "renameat2"])
def test_open_file_cannot_be_renamed_until_closed(
    ntfsemu_lib: Path, tmp_path: Path, op: str
) -> None:
    src = _file(tmp_path / "held.txt")
    dst = tmp_path / "moved.txt"
    with hold_open(PY, src):
        assert attempt(ntfsemu_lib, op, src, dst) == EACCES
        assert src.exists()
        assert not dst.exists()
    assert attempt(ntfsemu_lib, op, src, dst) == 0
    assert dst.exists()


@pytest.mark.parametrize("op", ["rename", "renameat", "renameat2"])
def test_running_exe_and_loaded_library_can_be_renamed(
    ntfsemu: NtfsemuKit, tmp_path: Path, op: str
) -> None:
    exe = _copy_exe(ntfsemu.holder, tmp_path / "bin" / "tool")
    ext = _copy_exe(ntfsemu.extension, tmp_path / "lib" / "_ext.so")
    trash = tmp_path / "trash"
    trash.mkdir()
    with hold_exe(exe), hold_mapped(PY, ext):
        assert attempt(ntfsemu.lib, "unlink", exe) == EACCES
        assert attempt(ntfsemu.lib, op, exe, trash / "tool") == 0
        assert attempt(ntfsemu.lib, op, ext, trash / "_ext.so") == 0
        # ... but the renamed files still cannot be deleted while in use.
        assert attempt(ntfsemu.lib, "unlink", trash / "tool") == EACCES
        assert attempt(ntfsemu.lib, "unlink", trash / "_ext.so") == EACCES
    assert attempt(ntfsemu.lib, "unlink", trash / "tool") == 0
    assert attempt(ntfsemu.lib, "unlink", trash / "_ext.so") == 0


def test_renaming_onto_a_held_file_is_refused(ntfsemu: NtfsemuKit, tmp_path: Path) -> None:
    src = _file(tmp_path / "new")
    exe = _copy_exe(ntfsemu.holder, tmp_path / "tool")
    with hold_exe(exe):
        # Replacing the destination deletes it, which Windows refuses for a running exe.
        assert attempt(ntfsemu.lib, "rename", src, exe) == EACCES
        assert attempt(ntfsemu.lib, "exchange", src, exe) == 0  # nothing is deleted
    assert attempt(ntfsemu.lib, "rename", exe, src) == 0


# ------------------------------------------------------------------ renaming a directory


def test_directory_with_an_open_file_beneath_cannot_be_renamed(
    ntfsemu_lib: Path, tmp_path: Path
) -> None:
    venv = tmp_path / ".venv"
    held = _file(venv / "lib" / "python3.10" / "site-packages" / "mod.py")
    _file(venv / "bin" / "activate")
    tomb = tmp_path / ".venv.tomb"
    with hold_open(PY, held):
        assert attempt(ntfsemu_lib, "rename", venv, tomb) == EACCES
        assert attempt(ntfsemu_lib, "renameat2", venv, tomb) == EACCES
        # A sibling subtree is not blocked.
        assert attempt(ntfsemu_lib, "rename", venv / "bin", venv / "bin.old") == 0
    assert attempt(ntfsemu_lib, "rename", venv, tomb) == 0
    assert (tomb / "lib" / "python3.10" / "site-packages" / "mod.py").exists()


def test_directory_that_is_or_contains_a_cwd_cannot_be_renamed(
    ntfsemu_lib: Path, tmp_path: Path
) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    tomb = tmp_path / ".venv.tomb"
    with hold_cwd(PY, venv / "bin"):
        assert attempt(ntfsemu_lib, "rename", venv, tomb) == EACCES
    with hold_cwd(PY, venv):
        assert attempt(ntfsemu_lib, "rename", venv, tomb) == EACCES
    assert attempt(ntfsemu_lib, "rename", venv, tomb) == 0


def test_directory_with_only_a_running_exe_and_a_loaded_library_can_be_renamed(
    ntfsemu: NtfsemuKit, tmp_path: Path
) -> None:
    venv = tmp_path / ".venv"
    exe = _copy_exe(ntfsemu.holder, venv / "bin" / "python")
    ext = _copy_exe(ntfsemu.extension, venv / "lib" / "site-packages" / "_ext.so")
    _file(venv / "pyvenv.cfg", "version_info = 3.10.13\n")
    tomb = tmp_path / ".venv.tomb"
    with hold_exe(exe), hold_mapped(PY, ext):
        assert attempt(ntfsemu.lib, "rmtree", venv) == EACCES  # deleting fails ...
        assert attempt(ntfsemu.lib, "rename", venv, tomb) == 0  # ... renaming does not
        assert not venv.exists()
        assert attempt(ntfsemu.lib, "unlink", tomb / "bin" / "python") == EACCES
    assert attempt(ntfsemu.lib, "rmtree", tomb) == 0


# ------------------------------------------------------------------ switches


def test_disable_and_log(ntfsemu_lib: Path, tmp_path: Path) -> None:
    held = _file(tmp_path / "dir" / "held.txt")
    log = tmp_path / "ntfsemu.log"
    with hold_open(PY, held) as holder:
        assert attempt(ntfsemu_lib, "unlink", held, log=log) == EACCES
        assert attempt(ntfsemu_lib, "rename", held.parent, tmp_path / "moved", log=log) == EACCES
        assert log.read_text().splitlines() == [
            f"refused unlink {held} (open by pid {holder.pid})",
            f"refused rename {held.parent} (open by pid {holder.pid}: {held})",
        ]
        assert attempt(ntfsemu_lib, "unlink", held, disable=True) == 0
    assert not held.exists()


# ------------------------------------------------------------------ the real uv (#13986)


def _removal_order(venv: Path) -> list[Path]:
    """The files uv's `remove_virtualenv` deletes, in order: every entry but pyvenv.cfg, in
    directory order, each directory depth-first (Rust's remove_dir_all), pyvenv.cfg last."""
    order: list[Path] = []

    def walk(directory: Path, top: bool) -> None:
        for path in directory.iterdir():  # getdents order, as uv sees it
            if top and path.name == "pyvenv.cfg":
                continue
            if path.is_dir() and not path.is_symlink():
                walk(path, top=False)
            else:
                order.append(path)

    walk(venv, top=True)
    return order


def _place_held_file(src: Path, venv: Path, directory: Path, stem: str, suffix: str) -> Path:
    """Copy `src` into the env under a name uv reaches only after deleting some other file, so
    the failure is provably half-way whatever order this filesystem lists directories in."""
    for i in range(50):
        dest = directory / f"{stem}{i or ''}{suffix}"
        shutil.copy2(src, dest)
        if _removal_order(venv).index(dest) > 0:
            return dest
        dest.unlink()
    raise AssertionError(f"no name in {directory} sorts after another file")


def _files(venv: Path) -> set[Path]:
    return {p for p in venv.rglob("*") if not p.is_dir() or p.is_symlink()}


def _hold_in_env(
    kind: str, venv: Path, ntfsemu: NtfsemuKit
) -> tuple[Path, AbstractContextManager[subprocess.Popen[bytes]]]:
    if kind == "exe":  # like Windows' `.venv\Scripts\python.exe` of a running language server
        target = _place_held_file(ntfsemu.holder, venv, venv / "bin", "tool", "")
        return target, hold_exe(target)
    site = venv / "lib" / "python3.10" / "site-packages"  # like a loaded `.pyd`
    target = _place_held_file(ntfsemu.extension, venv, site, "_speedups", ".so")
    return target, hold_mapped(PY, target)


@pytest.mark.parametrize("kind", ["exe", "extension"])
def test_uv_sync_fails_half_way_while_the_env_is_in_use(
    real_uv: Path,
    env: dict[str, str],
    tmp_path: Path,
    ntfsemu: NtfsemuKit,
    kind: str,
) -> None:
    proj = make_project(tmp_path / "proj")
    venv = proj / ".venv"
    run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
    assert venv_version(venv) == "3.10"
    target, holding = _hold_in_env(kind, venv, ntfsemu)
    before = _files(venv)
    order = _removal_order(venv)
    log = tmp_path / "ntfsemu.log"
    emulated = preload_env(env, ntfsemu.lib, log=log)

    with holding as holder:
        proc = run([real_uv, "sync", "-p", "3.11"], env=emulated, cwd=proj)
        assert proc.returncode == 2, proc.stderr
        top = venv / target.relative_to(venv).parts[0]
        # Windows says "Access is denied. (os error 5)".
        assert (
            f"error: failed to remove directory `{top}`: Permission denied (os error 13)"
            in proc.stderr
        )
        what = "exe" if kind == "exe" else "mapped"
        assert log.read_text().splitlines() == [
            f"refused unlinkat {target} ({what} by pid {holder.pid})"
        ]
        # Half-way: uv deleted, in directory order, exactly the files before the held one,
        # then stopped; the held file is still there, and there is no 3.11 env.
        after = _files(venv)
        assert target in after
        assert before - after == set(order[: order.index(target)])
        assert after < before
        assert not (venv / "lib" / "python3.11").exists()
        assert not (venv / "bin" / "python3.11").exists()
        # pyvenv.cfg goes last (uv >= 0.8.1), so the husk still says 3.10 ...
        assert venv_version(venv) == "3.10"

        # ... and while the holder lives, every retry fails the same way.
        again = run([real_uv, "sync", "-p", "3.11"], env=emulated, cwd=proj)
        assert again.returncode == 2
        assert "Permission denied (os error 13)" in again.stderr
        assert target.exists()

    # Once the holder has exited, uv recognises the husk as a venv (pyvenv.cfg survived),
    # removes it and creates the 3.11 env: the "not a virtual environment" dead end of #13986
    # (uv < 0.8.1) no longer happens.
    proc = run([real_uv, "sync", "-p", "3.11"], env=emulated, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert "Removed virtual environment at: .venv" in proc.stderr
    assert "Creating virtual environment at: .venv" in proc.stderr
    assert venv_version(venv) == "3.11"
    assert not target.exists()


def test_uv_sync_replaces_an_env_in_use_without_the_emulation(
    real_uv: Path,
    env: dict[str, str],
    tmp_path: Path,
    ntfsemu: NtfsemuKit,
) -> None:
    """Control: on Linux uv deletes the env of a running program without complaint."""
    proj = make_project(tmp_path / "proj")
    venv = proj / ".venv"
    run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
    exe = _copy_exe(ntfsemu.holder, venv / "bin" / "tool")
    with hold_exe(exe) as holder:
        proc = run([real_uv, "sync", "-p", "3.11"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert "Removed virtual environment at: .venv" in proc.stderr
        assert venv_version(venv) == "3.11"
        assert not exe.exists()
        assert holder.poll() is None  # still running from a deleted file
        assert Path(f"/proc/{holder.pid}/exe").readlink() == Path(f"{exe} (deleted)")
