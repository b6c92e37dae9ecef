"""The seed scenario (uv#13986) through the shim, with the real uv, real interpreters and real
processes holding the environment: POSIX semantics, and NTFS semantics emulated by LD_PRELOAD."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import make_project, run, venv_version
from tests.e2e.conftest import status_json, synced_project, tombstones_in, venvshim, wait_until
from tests.support.ntfsemu import (
    NtfsemuKit,
    hold_cwd,
    hold_exe,
    hold_mapped,
    hold_open,
    preload_env,
)

pytest_plugins = ["tests.support.ntfsemu"]


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


def _no_bg_gc(env: dict[str, str]) -> dict[str, str]:
    return {**env, "VENVSHIM_NO_BACKGROUND_GC": "1"}


def test_switch_while_exe_and_extension_in_use_posix(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    env = _no_bg_gc(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    venv = proj / ".venv"
    tool = venv / "bin" / "tool"
    shutil.copy2(ntfsemu.holder, tool)
    ext = _site_packages(venv) / "_ext.so"
    shutil.copy2(ntfsemu.extension, ext)
    with hold_exe(tool) as exe_holder, hold_mapped(venv / "bin" / "python", ext) as ext_holder:
        proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(venv) == "3.11"
        assert run([venv / "bin" / "python", "-c", "pass"], env=env, cwd=proj).returncode == 0
        # The holders still run, from their files, intact in the tombstone.
        assert exe_holder.poll() is None and ext_holder.poll() is None
        (tomb,) = tombstones_in(proj)
        assert Path(os.readlink(f"/proc/{exe_holder.pid}/exe")) == tomb / "bin" / "tool"
        assert (tomb / "bin" / "tool").is_file()
        maps = Path(f"/proc/{ext_holder.pid}/maps").read_text()
        assert str(tomb) in maps and "(deleted)" not in maps
        # gc keeps it while they live, and says who holds it.
        gc = venvshim(["gc"], env=env, cwd=proj)
        assert gc.returncode == 0 and "still in use" in gc.stdout, gc.stdout
        assert tomb.is_dir()
        rows = status_json(env, proj)
        assert [r["path"] for r in rows] == [str(tomb)]
        assert {h["pid"] for h in rows[0]["holders"]} >= {exe_holder.pid, ext_holder.pid}
        assert rows[0]["original"] == str(venv) and rows[0]["bytes"] > 0
        assert "T" in str(rows[0]["created"])
    gc = venvshim(["gc"], env=env, cwd=proj)
    assert gc.returncode == 0 and gc.stdout.startswith("Removed 1 tombstone"), gc.stdout
    assert tombstones_in(proj) == []
    assert status_json(env, proj) == []
    assert venv_version(venv) == "3.11"


def test_background_gc_deletes_once_holder_exits(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    tool = proj / ".venv" / "bin" / "tool"
    shutil.copy2(ntfsemu.holder, tool)
    with hold_exe(tool):
        assert run(["uv", "sync", "-p", "3.12"], env=shim_env, cwd=proj).returncode == 0
        (tomb,) = tombstones_in(proj)
        assert not wait_until(lambda: not tomb.exists(), timeout=1.5)  # held: kept
    assert wait_until(lambda: not tomb.exists(), timeout=60), "background gc did not collect"
    assert wait_until(lambda: status_json(shim_env, proj) == [], timeout=10)


def test_python_started_from_venv_holds_tombstone(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """On Linux bin/python links to the base interpreter: such a process maps nothing in the env;
    its argv names the env (relative to its cwd), so gc must still wait for it."""
    env = _no_bg_gc(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    import subprocess

    repl = subprocess.Popen(
        [".venv/bin/python", "-c", "import sys; sys.stdin.read()"],
        cwd=proj,
        env=env,
        stdin=subprocess.PIPE,
    )
    try:
        assert run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj).returncode == 0
        (tomb,) = tombstones_in(proj)
        gc = venvshim(["gc", "--json"], env=env, cwd=proj)
        assert '"held"' in gc.stdout and str(repl.pid) in gc.stdout, gc.stdout
        assert tomb.is_dir()
    finally:
        assert repl.stdin is not None
        repl.stdin.close()
        repl.wait(timeout=10)
    assert '"deleted"' in venvshim(["gc", "--json"], env=env, cwd=proj).stdout
    assert not tomb.exists()


def test_seed_under_ntfs_emulation(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    env = preload_env(_no_bg_gc(shim_env), ntfsemu.lib)
    plain = synced_project(tmp_path / "plain", env, str(real_uv))
    shimmed = synced_project(tmp_path / "shimmed", env, str(real_uv))
    for proj in (plain, shimmed):
        shutil.copy2(ntfsemu.holder, proj / ".venv" / "bin" / "tool")
    with hold_exe(plain / ".venv" / "bin" / "tool"), hold_exe(shimmed / ".venv" / "bin" / "tool"):
        # Plain uv fails half-way: the emulation reproduces the bug.
        failed = run([real_uv, "sync", "-p", "3.11"], env=env, cwd=plain)
        assert failed.returncode != 0 and "os error 13" in failed.stderr, failed.stderr
        assert venv_version(plain / ".venv") == "3.10"  # pyvenv.cfg is removed last
        assert (plain / ".venv" / "bin" / "tool").exists()
        again = run([real_uv, "sync", "-p", "3.11"], env=env, cwd=plain)
        assert again.returncode != 0 and "os error 13" in again.stderr  # stuck while it runs
        # Through the shim the same switch works at once.
        ok = run(["uv", "sync", "-p", "3.11"], env=env, cwd=shimmed)
        assert ok.returncode == 0, ok.stderr
        assert venv_version(shimmed / ".venv") == "3.11"
        # The env plain uv gutted is repaired by the next `uv sync` through the shim,
        # even while its holder still runs.
        repaired = run(["uv", "sync", "-p", "3.11"], env=env, cwd=plain)
        assert repaired.returncode == 0, repaired.stderr
        assert venv_version(plain / ".venv") == "3.11"
        assert (
            run([plain / ".venv" / "bin" / "python", "-c", "pass"], env=env, cwd=plain).returncode
            == 0
        )


def test_pre_081_remnant_without_pyvenv_cfg_is_repaired(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """uv < 0.8.1 deleted pyvenv.cfg first: the seed's dead end. The shim tombstones it."""
    env = _no_bg_gc(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    (proj / ".venv" / "pyvenv.cfg").unlink()
    (proj / ".venv" / "bin" / "python").unlink()
    dead_end = run([real_uv, "sync", "-p", "3.11"], env=env, cwd=proj)
    assert dead_end.returncode != 0 and "cannot be used" in dead_end.stderr
    fixed = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
    assert fixed.returncode == 0, fixed.stderr
    assert venv_version(proj / ".venv") == "3.11"


@pytest.mark.parametrize("how", ["open-file", "working-directory"])
def test_holder_blocking_rename_makes_shim_refuse_cleanly(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    ntfsemu: NtfsemuKit,
    pythons: dict[str, Path],
    how: str,
) -> None:
    """Windows cannot rename a directory with an open handle or a working directory inside:
    the shim then leaves the env exactly as it was, names the holder, and exits non-zero."""
    env = preload_env(_no_bg_gc(shim_env), ntfsemu.lib)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    venv = proj / ".venv"
    held_file = venv / "notes.log"
    held_file.write_text("open in an editor\n")
    before = sorted(str(p.relative_to(venv)) for p in venv.rglob("*"))
    cfg_inode = (venv / "pyvenv.cfg").stat().st_ino
    holding = (
        hold_open(pythons["3.12"], held_file)
        if how == "open-file"
        else hold_cwd(pythons["3.12"], venv / "lib")
    )
    with holding as holder:
        proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
        assert proc.returncode != 0
        assert proc.stderr.startswith("error: ") and "\nhint: " in proc.stderr, proc.stderr
        assert f"pid {holder.pid}" in proc.stderr
        assert ("notes.log" if how == "open-file" else "cwd") in proc.stderr
    assert sorted(str(p.relative_to(venv)) for p in venv.rglob("*")) == before
    assert (venv / "pyvenv.cfg").stat().st_ino == cfg_inode and venv_version(venv) == "3.10"
    assert tombstones_in(proj) == [] and status_json(env, proj) == []
    # Once the holder is gone, the same command goes through.
    assert run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj).returncode == 0
    assert venv_version(venv) == "3.11"


def test_tombstone_restored_when_uv_creates_nothing(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """`uv venv --clear -p 3.9` finds no interpreter: uv alone keeps .venv, so must the shim."""
    env = _no_bg_gc(shim_env)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    inode = (proj / ".venv").stat().st_ino
    proc = run(["uv", "venv", "--clear", "-p", "3.9"], env=env, cwd=proj)
    plain = run([real_uv, "venv", "--clear", "-p", "3.9"], env=env, cwd=proj)
    assert proc.returncode == plain.returncode != 0
    assert proc.stderr == plain.stderr
    assert (proj / ".venv").stat().st_ino == inode and venv_version(proj / ".venv") == "3.10"
    assert tombstones_in(proj) == [] and status_json(env, proj) == []


def test_never_touches_a_directory_of_user_files(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    proj = make_project(tmp_path / "proj")
    user_dir = proj / ".venv"
    user_dir.mkdir()
    (user_dir / "thesis.tex").write_text("years of work\n")
    (user_dir / "bin").mkdir()
    for argv in (["sync", "-p", "3.11"], ["venv", "--clear"], ["run", "python", "-c", "pass"]):
        shimmed = run(["uv", *argv], env=shim_env, cwd=proj)
        plain = run([real_uv, *argv], env=shim_env, cwd=proj)
        assert shimmed.returncode == plain.returncode != 0, (argv, shimmed.stderr)
        assert shimmed.stderr == plain.stderr
    assert (user_dir / "thesis.tex").read_text() == "years of work\n"
    assert sorted(p.name for p in user_dir.iterdir()) == ["bin", "thesis.tex"]
    assert tombstones_in(proj) == [] and status_json(shim_env, proj) == []


def test_symlinked_venv_keeps_link_and_replaces_target(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    env = _no_bg_gc(shim_env)
    proj = make_project(tmp_path / "proj")
    target = tmp_path / "elsewhere" / "env"
    target.parent.mkdir()
    run([real_uv, "venv", "-p", "3.10", str(target)], env=env, cwd=proj, check=True)
    (proj / ".venv").symlink_to(target)
    proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert (proj / ".venv").is_symlink() and os.readlink(proj / ".venv") == str(target)
    assert venv_version(target) == "3.11"
    (tomb,) = tombstones_in(target.parent)
    assert venv_version(tomb) == "3.10"
    assert venvshim(["gc"], env=env, cwd=proj).stdout.startswith("Removed 1 tombstone")
    assert tombstones_in(target.parent) == []


@pytest.mark.parametrize("absolute", [False, True])
def test_uv_project_environment(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, absolute: bool
) -> None:
    proj = make_project(tmp_path / "proj")
    location = tmp_path / "envs" / "proj-env" if absolute else Path("custom-env")
    env = {**_no_bg_gc(shim_env), "UV_PROJECT_ENVIRONMENT": str(location)}
    run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
    where = location if absolute else proj / location
    assert venv_version(where) == "3.10"
    assert run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj).returncode == 0
    assert venv_version(where) == "3.11"
    (tomb,) = tombstones_in(where.parent)
    assert venv_version(tomb) == "3.10"
    assert not (proj / ".venv").exists()


def test_workspace_member_switches_root_env(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    env = _no_bg_gc(shim_env)
    root = make_project(tmp_path / "ws", name="ws")
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    member = make_project(root / "packages" / "member", name="member", requires_python=">=3.11")
    run([real_uv, "sync", "-p", "3.12"], env=env, cwd=member, check=True)
    assert venv_version(root / ".venv") == "3.12"
    # `.python-version` at the root now asks for 3.11: running from the member replaces the
    # root's env (version files are read from the workspace root).
    (root / ".python-version").write_text("3.11\n")
    proc = run(
        ["uv", "run", "python", "-c", "import sys; print(sys.version_info[:2])"],
        env=env,
        cwd=member,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(3, 11)"
    (tomb,) = tombstones_in(root)
    assert venv_version(tomb) == "3.12"
    assert not (member / ".venv").exists()


def test_active_virtual_env_is_tombstoned_where_it_is(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    env = _no_bg_gc(shim_env)
    proj = make_project(tmp_path / "proj")
    active = tmp_path / "other" / "env"
    run([real_uv, "venv", "-p", "3.10", str(active)], env=env, cwd=proj, check=True)
    env = {**env, "VIRTUAL_ENV": str(active)}
    proc = run(["uv", "sync", "--active", "-p", "3.11"], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert venv_version(active) == "3.11" and not (proj / ".venv").exists()
    (tomb,) = tombstones_in(active.parent)
    assert venv_version(tomb) == "3.10"
