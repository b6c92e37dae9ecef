"""Crash safety (SIGKILL at every step of the swap) and concurrency (many shims, one env)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run, venv_version
from tests.e2e.conftest import status_json, synced_project, tombstones_in, venvshim, wait_until

STEPS = ["registered", "renamed", "active", "uv-started"]


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _invariant(proj: Path, env: dict[str, str], cfg_inode: int, before: list[str]) -> str:
    """The environment is intact, or gone/replaced with the old one in a registered tombstone."""
    venv = proj / ".venv"
    tombs = tombstones_in(proj)
    registered = {r["path"] for r in status_json(env, proj)}
    if (venv / "pyvenv.cfg").exists() and (venv / "pyvenv.cfg").stat().st_ino == cfg_inode:
        assert venv_version(venv) == "3.10" and tombs == []
        return "intact"
    (tomb,) = tombs
    assert str(tomb) in registered, "a tombstone gc does not know about"
    assert venv_version(tomb) == "3.10" and (tomb / "pyvenv.cfg").stat().st_ino == cfg_inode
    assert _files(tomb) == before  # the swap wrote nothing into the environment
    return "tombstoned"


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, step: str
) -> None:
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    cfg_inode = (proj / ".venv" / "pyvenv.cfg").stat().st_ino
    before = _files(proj / ".venv")
    proc = run(["uv", "sync", "-p", "3.11"], env={**env, "VENVSHIM_TEST_CRASH_AT": step}, cwd=proj)
    assert proc.returncode == -9, (proc.returncode, proc.stderr)
    if step == "uv-started":
        # uv, orphaned, still finishes its work.
        wait_until(lambda: venv_version(proj / ".venv") == "3.11", timeout=30)
    outcome = _invariant(proj, env, cfg_inode, before)
    assert outcome == ("intact" if step == "registered" else "tombstoned")
    # gc cleans up whatever the crash left: the registry and the tombstone.
    assert venvshim(["gc"], env=env, cwd=proj).returncode == 0
    assert status_json(env, proj) == [] and tombstones_in(proj) == []
    # And the project works: the next switch through the shim succeeds.
    again = run(["uv", "sync", "-p", "3.12"], env=env, cwd=proj)
    assert again.returncode == 0, again.stderr
    assert venv_version(proj / ".venv") == "3.12"


def test_concurrent_shims_alternating_python(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    procs = []
    for i in range(8):
        version = ("3.10", "3.11", "3.12")[i % 3]
        procs.append(
            subprocess.Popen(
                ["uv", "sync", "-p", version],
                env=shim_env,
                cwd=proj,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    venv = proj / ".venv"
    assert venv_version(venv) in ("3.10", "3.11", "3.12")
    assert run([venv / "bin" / "python", "-c", "pass"], env=shim_env, cwd=proj).returncode == 0
    # Background gcs collect every tombstone; an explicit gc must find nothing left.
    assert wait_until(lambda: tombstones_in(proj) == [], timeout=60), tombstones_in(proj)
    venvshim(["gc"], env=shim_env, cwd=proj)
    assert status_json(shim_env, proj) == []


def test_shim_waits_while_uv_holds_env_lock(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    """uv holds `.venv/.lock` while installing: the shim must not rename the env meanwhile."""
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    lock = proj / ".venv" / ".lock"
    locker = subprocess.Popen(
        ["python3.12", "-c",
         "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX);"
         " print('locked', flush=True); time.sleep(1.5)", str(lock)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    shim = subprocess.Popen(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
    observations = 0
    while locker.poll() is None:
        # While uv's lock is held the env stays in place, untouched.
        assert tombstones_in(proj) == [] and venv_version(proj / ".venv") == "3.10"
        observations += 1
        time.sleep(0.05)
    assert observations > 5
    locker.stdout.close()
    assert shim.wait(timeout=60) == 0
    assert venv_version(proj / ".venv") == "3.11"
    (tomb,) = tombstones_in(proj)
    assert venv_version(tomb) == "3.10"
