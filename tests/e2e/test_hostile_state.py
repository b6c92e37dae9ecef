"""Workflows plain uv supports keep working, and nothing hangs: a mount point for `.venv`, full
disks (the project's, the state root's), a read-only state root, locks held by someone else,
descriptors a build step could carry away. Mounts are real tmpfs mounts (root in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import make_project, require, run, venv_version
from tests.e2e.conftest import status_json, synced_project, tombstones_in
from tests.support.ntfsemu import hold_cwd

pytest_plugins = ["tests.support.ntfsemu"]


@contextmanager
def tmpfs(where: Path, size: str = "64m", *, options: str = "") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (f",{options}" if options else "")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "none", str(where)],
                          capture_output=True, text=True)  # fmt: skip
    require(proc.returncode == 0, f"mounting a tmpfs needs root: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def _no_bg(env: dict[str, str]) -> dict[str, str]:
    return {**env, "VENVSHIM_NO_BACKGROUND_GC": "1"}


def test_a_mount_point_venv_switches_like_plain_uv(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, pythons: dict[str, Path]
) -> None:
    """A `.venv` that is a mount (a container volume) cannot be renamed: with nothing using it
    the shim lets uv empty it in place, as uv alone does; with a process in it, it refuses."""
    env = _no_bg(shim_env)
    proj = make_project(tmp_path / "proj")
    with tmpfs(proj / ".venv"):
        run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
        proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(proj / ".venv") == "3.11" and os.path.ismount(proj / ".venv")
        assert tombstones_in(proj) == [] and status_json(env, proj) == []
        with hold_cwd(pythons["3.12"], proj / ".venv" / "lib") as holder:
            refused = run(["uv", "sync", "-p", "3.12"], env=env, cwd=proj)
            assert refused.returncode == 1 and "mount point" in refused.stderr, refused.stderr
            assert f"pid {holder.pid}" in refused.stderr or "\nhint: " in refused.stderr
        assert venv_version(proj / ".venv") == "3.11"


def _big_wheel(where: Path, megabytes: int) -> Path:
    """A wheel of `megabytes` of incompressible data, built here (no index needed)."""
    import zipfile

    where.mkdir(parents=True, exist_ok=True)
    wheel = where / "bulky-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("bulky/__init__.py", "")
        zf.writestr("bulky/data.bin", os.urandom(megabytes << 20))
        zf.writestr(
            "bulky-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: bulky\nVersion: 1.0\n"
        )
        zf.writestr(
            "bulky-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr("bulky-1.0.dist-info/RECORD", "")
    return wheel


def test_a_nearly_full_project_disk_still_switches(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """Plain uv deletes first, so it switches on a disk with room for one env only; with nothing
    holding the old env, so does the shim (it collects the tombstone before uv builds)."""
    links = tmp_path / "wheels"
    _big_wheel(links, 30)
    env = _no_bg({**shim_env, "UV_FIND_LINKS": str(links)})
    with tmpfs(tmp_path / "disk", "52m") as disk:
        proj = make_project(disk / "proj")
        text = (
            (proj / "pyproject.toml")
            .read_text()
            .replace("dependencies = []", 'dependencies = ["bulky"]')
        )
        (proj / "pyproject.toml").write_text(text)
        run([real_uv, "sync", "-p", "3.10", "--link-mode", "copy"], env=env, cwd=proj, check=True)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        assert free < 30 << 20  # room for one env, not two
        proc = run(["uv", "sync", "-p", "3.11", "--link-mode", "copy"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(proj / ".venv") == "3.11" and tombstones_in(proj) == []
        assert status_json(env, proj) == []


@pytest.mark.parametrize("why", ["full", "read-only"])
def test_a_state_root_that_cannot_be_written_stops_before_anything_moves(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, why: str
) -> None:
    env = _no_bg(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    inode = (proj / ".venv").stat().st_ino
    with tmpfs(tmp_path / "state-disk", "1m", options="mode=0700") as disk:
        home = disk / "venvshim"
        home.mkdir(mode=0o700)
        if why == "full":
            with open(disk / "filler", "wb", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        proc = run(["uv", "sync", "-p", "3.11"], env={**env, "VENVSHIM_HOME": str(home)}, cwd=proj)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith("error: ") and "\nhint: " in proc.stderr, proc.stderr
        assert "None" not in proc.stderr and "Traceback" not in proc.stderr
    assert (proj / ".venv").stat().st_ino == inode and venv_version(proj / ".venv") == "3.10"
    assert tombstones_in(proj) == []


def test_a_lock_held_elsewhere_is_a_bounded_wait_with_a_name(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """A process that never lets go of venvshim's per-env lock (a daemon that inherited it, in
    older versions): the next intercepted command gives up after UV_LOCK_TIMEOUT, naming it."""
    env = _no_bg(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj, check=True)  # creates the lock file
    (lock,) = (Path(env["VENVSHIM_HOME"]) / "locks").glob("*.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
         "fcntl.flock(fd, fcntl.LOCK_EX); os.ftruncate(fd, 0); "
         "os.write(fd, str(os.getpid()).encode()); print('ready', flush=True); sys.stdin.read()",
         str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
        proc = run(["uv", "sync", "-p", "3.12"], env={**env, "UV_LOCK_TIMEOUT": "1"}, cwd=proj)
        assert proc.returncode == 1 and f"pid {holder.pid}" in proc.stderr, proc.stderr
        assert "\nhint: " in proc.stderr and venv_version(proj / ".venv") == "3.11"
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
        holder.wait(timeout=10)


@pytest.mark.parametrize("argv", [["run"], ["run", "-p", "3.11"]], ids=["keep", "replace"])
def test_uv_and_its_children_inherit_nothing_of_venvshim(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, argv: list[str]
) -> None:
    """What a build step or a program started by uv could carry away: no descriptor of
    venvshim's (its locks above all) is open in uv's children, kept or swapped."""
    env = _no_bg(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    code = (
        "import os\nfor fd in os.listdir('/proc/self/fd'):\n"
        "    try: print(os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError: pass\n"
    )
    proc = run(["uv", *argv, "python", "-c", code], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert env["VENVSHIM_HOME"] not in proc.stdout, proc.stdout
