"""venvshim speaks like uv: help for users, errors with a tip, colour exactly where uv colours
(checked on a real pseudo-terminal), and one notice when a switch moves an environment away
from programs still using it."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run
from tests.e2e.conftest import synced_project, venvshim
from tests.support.ntfsemu import NtfsemuKit, hold_exe

pytest_plugins = ["tests.support.ntfsemu"]
RED_ERROR = "\x1b[1m\x1b[31merror\x1b[39m\x1b[0m\x1b[1m:\x1b[0m"
CYAN_HINT = "\x1b[36m\x1b[1mhint\x1b[0m\x1b[39m\x1b[1m:\x1b[0m"
GREEN_TIP = "\x1b[32m\x1b[1mtip\x1b[0m\x1b[39m\x1b[1m:\x1b[0m"


def on_a_terminal(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; returns the exit code and all output."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower)  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


CLI = [sys.executable, "-m", "venvshim"]


def test_help_is_for_users(tmp_path: Path, shim_env: dict[str, str]) -> None:
    out = venvshim(["--help"], env=shim_env, cwd=tmp_path).stdout
    assert out.startswith("venvshim keeps uv environments safe while programs use them.")
    for name in ("status", "gc", "doctor", "install", "uninstall", "help"):
        assert f"\n  {name} " in out, name
    for var in ("VENVSHIM_DISABLE", "VENVSHIM_HOME", "VENVSHIM_REAL_UV", "VENVSHIM_GC_INTERVAL"):
        assert var in out, var
    assert f"State: {shim_env['VENVSHIM_HOME']}" in out
    assert venvshim(["help", "gc"], env=shim_env, cwd=tmp_path).stdout.startswith(
        "usage: venvshim gc"
    )
    assert "--dry-run" in venvshim(["gc", "--help"], env=shim_env, cwd=tmp_path).stdout
    for flag in ("-V", "--version"):
        proc = venvshim([flag], env=shim_env, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.startswith("venvshim 0."), proc.stdout


def test_errors_in_uv_s_words(tmp_path: Path, shim_env: dict[str, str]) -> None:
    proc = venvshim(["frobnicate"], env=shim_env, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: unrecognized subcommand 'frobnicate'\n")
    near = venvshim(["docter"], env=shim_env, cwd=tmp_path)
    assert near.returncode == 2 and "  tip: a similar subcommand exists: 'doctor'" in near.stderr
    bad = venvshim(["--color", "sometimes", "status"], env=shim_env, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid value 'sometimes'" in bad.stderr


@pytest.mark.parametrize(
    ("extra", "args", "coloured"),
    [
        ({}, [], True),
        ({"NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
        ({}, ["--color", "never"], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
    ],
)
def test_colour_on_a_terminal(
    tmp_path: Path, shim_env: dict[str, str], extra: dict[str, str], args: list[str], coloured: bool
) -> None:
    env = {**shim_env, **extra, "TERM": "xterm"}
    code, out = on_a_terminal([*CLI, *args, "frobnicate"], env, tmp_path)
    assert code == 2
    assert (RED_ERROR in out) is coloured, repr(out)
    assert ("error: unrecognized subcommand" in out) is not coloured, repr(out)
    if coloured:
        assert GREEN_TIP in out or "tip" not in out


@pytest.mark.parametrize(
    ("extra", "args", "coloured"),
    [({}, [], False), ({"FORCE_COLOR": "1"}, [], True), ({"CLICOLOR_FORCE": "1"}, [], True),
     ({"FORCE_COLOR": "0"}, [], False), ({}, ["--color", "always"], True)],
)  # fmt: skip
def test_colour_without_a_terminal(
    tmp_path: Path, shim_env: dict[str, str], extra: dict[str, str], args: list[str], coloured: bool
) -> None:
    broken = tmp_path / "state-is-a-file"
    broken.write_text("")
    env = {**shim_env, **extra, "VENVSHIM_HOME": str(broken)}
    proc = venvshim([*args, "status"], env=env, cwd=tmp_path)
    assert proc.returncode == 1
    assert (RED_ERROR in proc.stderr and CYAN_HINT in proc.stderr) is coloured, proc.stderr
    assert proc.stderr.startswith("error: ") is not coloured


def test_one_notice_naming_who_still_uses_a_moved_env(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    quiet = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)  # nothing holds it
    assert (
        quiet.returncode == 0 and "venvshim" not in quiet.stderr and "warning" not in quiet.stderr
    )
    tool = proj / ".venv" / "bin" / "nt-tool"
    shutil.copy2(ntfsemu.holder, tool)
    with hold_exe(tool) as holder:
        proc = run(["uv", "sync", "-p", "3.12"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count("warning: ") == 1, proc.stderr
        assert f"pid {holder.pid} (nt-tool)" in proc.stderr
        assert "moved aside" in proc.stderr and "Restart it" in proc.stderr
        assert "deleted once they exit" in proc.stderr
        silent = run(["uv", "-q", "sync", "-p", "3.13"], env=env, cwd=proj)
        assert silent.returncode == 0 and silent.stderr == "", silent.stderr
