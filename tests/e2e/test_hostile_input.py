"""Hostile and unusual input, through the real shim and the real uv: nothing a path, an argument
or a file planted by another user holds is ever executed, and bad configuration is one clear
`error:` + `hint:`, never a traceback.

Another user is a real one (`useradd`), files are planted by processes running as that user;
the tests run as root in CI and fail there if that is impossible (tests.conftest.require).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import require, run
from tests.e2e.conftest import status_json, synced_project, tombstones_in, venvshim
from venvshim.intercept.fastpath import FILE as FAST_FILE

CANARY = "venvshim-canary"
OLD = time.time() - 3600
# (uv itself refuses a project path that is not UTF-8: "Virtual environment path is not valid")
NASTY_NAME = f"p\n$(touch {CANARY})`touch {CANARY}`';touch {CANARY};'\\ \"$HOME"


def _age(proj: Path) -> None:
    """Old enough for a verdict to be cached (verdicts.RACY_SECONDS)."""
    for path in (proj, *proj.rglob("*")):
        os.utime(path, (OLD, OLD), follow_symlinks=False)


def _canaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name == CANARY]


def test_a_directory_name_is_data(tmp_path: Path, shim_env: dict[str, str], real_uv: Path) -> None:
    """A project directory named with a newline, `$(...)`, backquotes and quotes: the verdict
    cached for it is served by the sh front end and never runs any of it."""
    proj = synced_project(tmp_path / NASTY_NAME, shim_env, str(real_uv))
    _age(proj)
    env = {**shim_env, "PWD": str(proj)}
    argv = ["uv", "run", "python", "-c", "print('ran')"]
    for _ in range(3):  # decided by Python, then served from the sh fast path
        proc = run(argv, env=env, cwd=proj)
        assert proc.returncode == 0 and proc.stdout == "ran\n", proc.stderr
    fast = Path(
        os.fsdecode(os.fsencode(shim_env["VENVSHIM_HOME"] + "/fast") + os.fsencode(str(proj)))
    )
    assert (fast / FAST_FILE).is_file()
    assert _canaries(tmp_path) == [] and tombstones_in(proj) == []


@pytest.mark.parametrize(
    "arg", [b"\xff\xfe", b"caf\xe9", "\udcff".encode("utf-8", "surrogateescape")]
)
def test_a_non_utf8_argument_never_makes_an_internal_error(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, arg: bytes
) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    _age(proj)
    argv = [b"uv", b"run", b"python", b"-c", b"import sys; print(len(sys.argv))", arg]
    for _ in range(3):
        proc = subprocess.run(argv, env=shim_env, cwd=proj, capture_output=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == b"2\n" and b"internal error" not in proc.stderr


@pytest.mark.parametrize("what", ["missing", "directory", "not-executable", "the-shim"])
def test_a_bad_real_uv_is_one_clear_error(
    tmp_path: Path, shim_env: dict[str, str], shim_dir: Path, what: str
) -> None:
    target = {
        "missing": tmp_path / "nope" / "uv",
        "directory": tmp_path,
        "not-executable": tmp_path / "uv-plain-file",
        "the-shim": shim_dir / "uv",
    }[what]
    if what == "not-executable":
        target.write_text("#!/bin/sh\n")
    env = {**shim_env, "VENVSHIM_REAL_UV": str(target)}
    for argv in (["--version"], ["sync"]):
        proc = run(["uv", *argv], env=env, cwd=tmp_path, timeout=30)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.splitlines()
        assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), proc.stderr
        assert "Traceback" not in proc.stderr and "exec:" not in proc.stderr


# ------------------------------------------------------------------ another user


@pytest.fixture(scope="session")
def other_user() -> pwd.struct_passwd:
    require(os.geteuid() == 0, "root, to create a second user")
    name = "venvshim-mallory"
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    proc = subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name],
                          capture_output=True, text=True)  # fmt: skip
    require(proc.returncode == 0, f"useradd: {proc.stderr.strip()}")
    return pwd.getpwnam(name)


def _as(user: pwd.struct_passwd, script: str, *args: str) -> None:
    subprocess.run(
        ["sh", "-c", script, "sh", *args], user=user.pw_uid, group=user.pw_gid, check=True,
        env={"PATH": "/usr/bin:/bin"}, cwd="/",
    )  # fmt: skip


@pytest.mark.parametrize("owner", ["attacker", "victim-but-world-writable"])
def test_a_planted_fast_path_file_is_never_sourced(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    other_user: pwd.struct_passwd,
    owner: str,
    request: pytest.FixtureRequest,
) -> None:
    """A state root others can write (VENVSHIM_HOME in /tmp, shared with a second user): the
    other user's verdict file is not sourced, and venvshim refuses the state root loudly."""
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    shared = Path(tempfile.mkdtemp(prefix="venvshim-shared-", dir="/tmp"))  # reachable by all
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    shared.chmod(0o1777)
    if owner == "attacker":
        os.chown(shared, other_user.pw_uid, other_user.pw_gid)
    fast = Path(str(shared) + "/fast" + str(proj))
    payload = f"touch {proj / CANARY}; vs_fast=1\n"
    _as(other_user, 'mkdir -p "$1" && printf "%s" "$2" > "$1/$3"', str(fast), payload, FAST_FILE)
    env = {**shim_env, "VENVSHIM_HOME": str(shared), "PWD": str(proj)}
    proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
    assert _canaries(tmp_path) == []
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "\nhint: " in proc.stderr
    assert "other user" in proc.stderr or "another user" in proc.stderr, proc.stderr
    assert (proj / ".venv" / "pyvenv.cfg").is_file()  # nothing moved, nothing replaced
    assert "version_info = 3.10" in (proj / ".venv" / "pyvenv.cfg").read_text()


def test_records_others_could_write_are_never_acted_on(
    tmp_path: Path, shim_env: dict[str, str], other_user: pwd.struct_passwd
) -> None:
    """A record of another user's, one that escapes with `../`, one out of range: skipped with
    a warning; the victim's file each names survives; gc and status still work."""
    home = Path(shim_env["VENVSHIM_HOME"])
    registry = home / "tombstones"
    registry.mkdir(parents=True, mode=0o700)
    home.chmod(0o700)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work\n")
    st = os.lstat(victim)
    good_id = "20260101T000000-1-0123456789abcdef"
    base = {"original": str(tmp_path / ".venv"), "created": OLD, "state": "active",
            "dev": st.st_dev, "ino": st.st_ino}  # fmt: skip
    records = {
        "traversal": {**base, "id": "../../victim", "path": str(victim)},
        "range": {
            **base,
            "id": good_id,
            "created": 1e300,
            "path": str(tmp_path / f"..venv.venvshim-tomb-{good_id}"),
        },
        "pid": {**base, "id": "20260101T000000-x-0123456789abcdef", "path": str(victim)},
    }
    for name, data in records.items():
        (registry / f"{name}.json").write_text(json.dumps(data))
        (registry / f"{name}.json").chmod(0o600)
    planted_id = "20260101T000000-2-0123456789abcdef"
    planted = {**base, "id": planted_id,
               "path": str(tmp_path / f".venv.venvshim-tomb-{planted_id}")}  # fmt: skip
    (registry / f"{planted_id}.json").write_text(json.dumps(planted))
    os.chown(registry / f"{planted_id}.json", other_user.pw_uid, other_user.pw_gid)
    for argv in (["gc"], ["gc", "--dry-run"], ["status"], ["status", "--json"]):
        proc = venvshim(argv, env=shim_env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count("warning: ") == 4, proc.stderr
        assert "Traceback" not in proc.stderr
    assert (victim / "thesis.tex").read_text() == "years of work\n"
    assert status_json(shim_env, tmp_path) == []


def test_an_unreadable_or_foreign_state_root_is_refused_by_every_subcommand(
    tmp_path: Path, shim_env: dict[str, str]
) -> None:
    broken = tmp_path / "state-is-a-file"
    broken.write_text("not a directory\n")
    env = {**shim_env, "VENVSHIM_HOME": str(broken)}
    argvs = [["gc"], ["gc", "--dry-run"], ["gc", "--wait", "1"], ["status"], ["status", "--json"],
             ["doctor"], ["uninstall", "--dry-run"]]  # fmt: skip
    for argv in argvs:
        proc = venvshim(argv, env=env, cwd=tmp_path)
        assert proc.returncode == 1, (argv, proc.stdout, proc.stderr)
        out = proc.stderr if argv[0] != "doctor" else proc.stdout
        assert "error: " in out and "hint: " in out, (argv, out)
        assert "Traceback" not in proc.stderr + proc.stdout, (argv, proc.stderr)
    assert broken.read_text() == "not a directory\n"
