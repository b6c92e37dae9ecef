"""No switch missed, no wrong directory moved: every way of naming the project uv understands,
with the real uv and real processes holding the environment (NTFS emulation: plain uv fails
half-way in the same set-up, the proof that protection is needed there)."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import make_project, run, venv_version
from tests.e2e.conftest import status_json, synced_project, tombstones_in
from tests.support.ntfsemu import NtfsemuKit, hold_exe, preload_env
from venvshim.intercept.fastpath import FILE as FAST_FILE

pytest_plugins = ["tests.support.ntfsemu"]
OLD = time.time() - 3600
SENTINEL = "sentinel.txt"


def _held(proj: Path, kit: NtfsemuKit) -> Path:
    tool = proj / ".venv" / "bin" / "tool"
    shutil.copy2(kit.holder, tool)
    return tool


@pytest.mark.parametrize("how", ["UV_WORKING_DIR", "--directory", "UV_PROJECT", "--project",
                                 "UV_WORKING_DIR+UV_PROJECT"])  # fmt: skip
def test_the_project_uv_works_on_is_the_one_protected(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit, how: str
) -> None:
    """From the parent of the project, naming it by option or variable: the project's env is
    tombstoned, and the parent's own unrelated env is never touched."""
    env = preload_env({**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}, ntfsemu.lib)
    parent = make_project(tmp_path / "outer", name="outer")
    run([real_uv, "sync", "-p", "3.12"], env=env, cwd=parent, check=True)
    (parent / ".venv" / SENTINEL).write_text("the parent's env\n")
    proj = synced_project(parent / "proj", env, str(real_uv))
    extra: dict[str, str] = {}
    argv = ["run", "-p", "3.11", "python", "-c", "import sys; print(sys.version_info[:2])"]
    if how == "UV_WORKING_DIR":
        extra = {"UV_WORKING_DIR": "proj"}
    elif how == "--directory":
        argv = ["--directory", "proj", *argv]
    elif how == "UV_PROJECT":
        extra = {"UV_PROJECT": "proj"}
    elif how == "--project":
        argv = [argv[0], "--project", "proj", *argv[1:]]
    else:  # the project named relative to the working directory
        extra = {"UV_WORKING_DIR": str(tmp_path), "UV_PROJECT": "outer/proj"}
    with hold_exe(_held(proj, ntfsemu)) as holder:
        plain_env = {**env, **extra}
        proc = run(["uv", *argv], env=plain_env, cwd=parent)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "(3, 11)" and venv_version(proj / ".venv") == "3.11"
        (tomb,) = tombstones_in(proj)
        assert venv_version(tomb) == "3.10" and holder.poll() is None
    assert (parent / ".venv" / SENTINEL).read_text() == "the parent's env\n"
    assert venv_version(parent / ".venv") == "3.12" and tombstones_in(parent) == []


def test_run_without_a_command_switches_too(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    """`uv run -p 3.11` alone replaces the env (then asks for a command): protected like any."""
    env = preload_env({**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}, ntfsemu.lib)
    plain = synced_project(tmp_path / "plain", env, str(real_uv))
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    with hold_exe(_held(plain, ntfsemu)), hold_exe(_held(proj, ntfsemu)) as holder:
        failed = run([real_uv, "run", "-p", "3.11"], env=env, cwd=plain)
        assert failed.returncode != 0 and "os error 13" in failed.stderr  # the bug, reproduced
        shimmed = run(["uv", "run", "-p", "3.11"], env=env, cwd=proj)
        assert venv_version(proj / ".venv") == "3.11", shimmed.stderr
        assert len(tombstones_in(proj)) == 1 and holder.poll() is None


def test_run_script_without_inline_metadata_switches_the_project_env(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    (proj / "plain.py").write_text("import sys; print(sys.version_info[:2])\n")
    proc = run(["uv", "run", "-p", "3.12", "--script", "plain.py"], env=env, cwd=proj)
    assert proc.returncode == 0 and proc.stdout.strip() == "(3, 12)", proc.stderr
    assert venv_version(proj / ".venv") == "3.12" and len(tombstones_in(proj)) == 1


USER_DIR_ARGVS = [
    ["sync", "-p", "3.11"], ["run", "python", "-c", "pass"], ["venv", "--clear"],
    ["sync", "--check", "-p", "3.11"],
]  # fmt: skip


def _mask(text: str) -> str:
    """uv prints timings ("Resolved 1 package in 1ms"): compared with the digits masked."""
    return re.sub(r"\d+(\.\d+)?(ms|s)\b", "<t>", text)


@pytest.mark.parametrize("argv", USER_DIR_ARGVS)
def test_a_user_directory_named_venv_is_never_touched(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, argv: list[str]
) -> None:
    """bin/, lib/ and a `*` .gitignore with the user's files in them, no pyvenv.cfg: plain uv
    refuses it, and so does the shim, with exactly uv's words."""
    proj = make_project(tmp_path / "proj")
    user = proj / ".venv"
    (user / "bin").mkdir(parents=True)
    (user / "lib").mkdir()
    (user / ".gitignore").write_text("*\n")
    (user / "bin" / "run.sh").write_text("#!/bin/sh\necho mine\n")
    (user / "lib" / "data.csv").write_text("1,2,3\n")
    before = sorted(p.relative_to(user) for p in user.rglob("*"))
    shimmed = run(["uv", *argv], env=shim_env, cwd=proj)
    plain = run([real_uv, *argv], env=shim_env, cwd=proj)
    assert shimmed.returncode == plain.returncode != 0, shimmed.stderr
    assert shimmed.stderr == plain.stderr
    assert sorted(p.relative_to(user) for p in user.rglob("*")) == before
    assert (user / "lib" / "data.csv").read_text() == "1,2,3\n"
    assert tombstones_in(proj) == [] and status_json(shim_env, proj) == []


def test_sync_check_only_reports(tmp_path: Path, shim_env: dict[str, str], real_uv: Path) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    inode = (proj / ".venv").stat().st_ino
    shimmed = run(["uv", "sync", "--check", "-p", "3.11"], env=shim_env, cwd=proj)
    plain = run([real_uv, "sync", "--check", "-p", "3.11"], env=shim_env, cwd=proj)
    assert (shimmed.returncode, shimmed.stdout) == (plain.returncode, plain.stdout)
    assert _mask(shimmed.stderr) == _mask(plain.stderr)
    assert (proj / ".venv").stat().st_ino == inode and venv_version(proj / ".venv") == "3.10"
    assert tombstones_in(proj) == []


def test_a_verdict_is_never_served_for_another_project(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    """The shell stays in `cur`, a link that now names another project: the cached "keep" of
    the first project must not answer for the second, whose env needs replacing."""
    env = preload_env({**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}, ntfsemu.lib)
    first = synced_project(tmp_path / "a", env, str(real_uv))
    second = synced_project(tmp_path / "b", env, str(real_uv))
    (second / ".python-version").write_text("3.11\n")
    for path in (*tmp_path.rglob("*"),):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    cur = tmp_path / "cur"
    cur.symlink_to(first)
    env = {**env, "PWD": str(cur)}
    for _ in range(2):  # decided, then cached for the sh front end under $PWD=cur
        assert run(["uv", "sync"], env=env, cwd=cur).returncode == 0
    assert Path(env["VENVSHIM_HOME"] + "/fast" + str(cur) + "/" + FAST_FILE).is_file()
    cur.unlink()
    cur.symlink_to(second)
    with hold_exe(_held(second, ntfsemu)) as holder:
        proc = run(["uv", "sync"], env=env, cwd=cur)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(second / ".venv") == "3.11" and holder.poll() is None
        assert len(tombstones_in(second)) == 1


def test_a_redirect_file_switches_and_stays(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """uv 0.13.9 reads a regular file `.venv` as the path of the env: the target is replaced
    in place, the file kept; a failed uv puts the old env back."""
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = make_project(tmp_path / "proj")
    target = tmp_path / "envs" / "proj"
    run([real_uv, "venv", "-p", "3.10", str(target)], env=env, cwd=proj, check=True)
    (proj / ".venv").write_text("../envs/proj\n")
    (target / SENTINEL).write_text("old\n")
    failed = run(["uv", "sync", "-p", "3.9"], env=env, cwd=proj)
    assert failed.returncode != 0 and (target / SENTINEL).is_file()
    assert tombstones_in(target.parent) == []
    proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
    plain_like = proc.returncode == 0 and (proj / ".venv").read_text() == "../envs/proj\n"
    assert plain_like, proc.stderr
    assert venv_version(target) == "3.11" and not (target / SENTINEL).exists()
    (tomb,) = tombstones_in(target.parent)
    assert (tomb / SENTINEL).read_text() == "old\n"


def test_a_venv_symlink_loop_gets_exactly_uv_s_words(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    proj = make_project(tmp_path / "proj")
    (proj / ".venv").symlink_to(proj / ".venv")
    for argv in (["sync", "-p", "3.11"], ["run", "python", "-c", "pass"], ["venv", "--clear"]):
        shimmed = run(["uv", *argv], env=shim_env, cwd=proj)
        plain = run([real_uv, *argv], env=shim_env, cwd=proj)
        assert (shimmed.returncode, shimmed.stderr) == (plain.returncode, plain.stderr), argv
        assert "internal error" not in shimmed.stderr
