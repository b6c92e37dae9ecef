"""Invisibility: through the shim, uv's output, exit codes, stdin and signals are exactly uv's."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import run
from tests.e2e.conftest import synced_project, tombstones_in

ARGV_CASES = [
    ["--version"],
    ["-V"],
    ["help"],
    ["help", "sync"],
    ["pip", "--definitely-not-an-option"],
    ["sync", "--definitely-not-an-option"],
    ["run", "python", "-c", "import sys; print(sys.argv[1:])", "a b", "q'uo\"te", "ünï cødé", ""],
    [
        "run",
        "python",
        "-c",
        "import sys; sys.stdout.write('out'); sys.stderr.write('err'); raise SystemExit(7)",
    ],
    ["run", "--no-sync", "python", "-c", "print('no sync')"],
    ["--directory", ".", "run", "python", "-c", "print('dir')"],
    ["version"],
    ["lock", "--check"],
    ["tree"],
    ["python", "find", "3.11"],
]


@pytest.mark.parametrize("argv", ARGV_CASES, ids=lambda a: " ".join(a)[:40])
def test_same_bytes_and_exit_code(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, argv: list[str]
) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    plain = subprocess.run([real_uv, *argv], env=shim_env, cwd=proj, capture_output=True)
    shimmed = subprocess.run(["uv", *argv], env=shim_env, cwd=proj, capture_output=True)
    assert shimmed.returncode == plain.returncode
    # uv prints timings ("Resolved 1 package in 1ms"): compare with the digits masked.
    import re

    def mask(b: bytes) -> bytes:
        return re.sub(rb"\d+(\.\d+)?(ms|s)\b", b"<t>", b)

    assert mask(shimmed.stdout) == mask(plain.stdout)
    assert mask(shimmed.stderr) == mask(plain.stderr)


def test_stdin_reaches_the_program(tmp_path: Path, shim_env: dict[str, str], real_uv: Path) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    data = "line one\nünï\n" * 1000
    proc = run(
        ["uv", "run", "python", "-c", "import sys; d = sys.stdin.read(); print(len(d), d[:8])"],
        env=shim_env,
        cwd=proj,
        input=data.encode(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{len(data)} line one"


def test_disable_is_pure_passthrough(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    env = {**shim_env, "VENVSHIM_DISABLE": "1"}
    assert run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj).returncode == 0
    assert tombstones_in(proj) == []  # uv replaced it in place, as plain uv does


def _child_script(marker: Path) -> str:
    return (
        "import signal, sys, time, pathlib\n"
        f"m = pathlib.Path({str(marker)!r})\n"
        "def h(s, f):\n"
        "    m.write_text(str(s)); sys.exit(42)\n"
        "signal.signal(signal.SIGTERM, h)\n"
        "signal.signal(signal.SIGINT, h)\n"
        "m.write_text('ready')\n"
        "time.sleep(60)\n"
    )


@pytest.mark.parametrize("swap", [False, True], ids=["exec-path", "supervised-swap-path"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_reach_uv_run_child(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, swap: bool, sig: signal.Signals
) -> None:
    """SIGTERM/SIGINT sent to the shim's pid reach the program `uv run` started; exit status is
    the one plain uv gives. With a swap, the shim supervises uv and forwards the signal."""
    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    marker = tmp_path / "marker"
    argv = ["run", *(["-p", "3.11"] if swap else []), "python", "-c", _child_script(marker)]
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    results = []
    for uv in ("uv", str(real_uv)):
        marker.unlink(missing_ok=True)
        proc = subprocess.Popen([uv, *argv], env=env, cwd=proj)
        deadline = time.monotonic() + 60
        while not (marker.exists() and marker.read_text() == "ready"):
            assert time.monotonic() < deadline and proc.poll() is None, "child never started"
            time.sleep(0.05)
        proc.send_signal(sig)
        results.append((proc.wait(timeout=30), marker.read_text()))
        if swap:
            assert len(tombstones_in(proj)) == 1  # this run went through a real swap
            run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
    shimmed, plain = results
    assert shimmed == plain
    assert shimmed[1] == str(int(sig))  # the child's handler ran


COUNT_SIGINTS = (
    "import pathlib, signal, sys, time\n"
    "m = pathlib.Path(sys.argv[1]); n = []\n"
    "signal.signal(signal.SIGINT, lambda s, f: n.append(s))\n"
    "m.write_text('ready')\n"
    "deadline = time.monotonic() + 30\n"
    "while not n and time.monotonic() < deadline: time.sleep(0.01)\n"
    "time.sleep(0.6)\n"  # longer than uv's 200 ms forwarding delay: a second SIGINT would land
    "m.write_text(str(len(n)))\n"
)


@pytest.mark.parametrize("swap", [False, True], ids=["exec-path", "supervised-swap-path"])
def test_ctrl_c_in_a_terminal_reaches_the_program_once(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, swap: bool
) -> None:
    """Ctrl+C on a real terminal (a pty): the program gets exactly as many SIGINTs as under
    plain uv, so the shim's supervisor must not forward what the terminal already delivered."""
    import fcntl
    import os
    import termios

    proj = synced_project(tmp_path / "proj", shim_env, str(real_uv))
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    marker = tmp_path / "count"
    argv = ["run", *(["-p", "3.11"] if swap else []), "python", "-c", COUNT_SIGINTS, str(marker)]
    counts = []
    for uv in ("uv", str(real_uv)):
        marker.unlink(missing_ok=True)
        master, slave = os.openpty()

        def make_controlling_tty(fd: int = slave) -> None:
            fcntl.ioctl(fd, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(
            [uv, *argv],
            env=env,
            cwd=proj,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=make_controlling_tty,  # noqa: PLW1509 (single-threaded test; TIOCSCTTY must run in the child)
        )
        os.close(slave)
        try:
            deadline = time.monotonic() + 60
            while not (marker.exists() and marker.read_text() == "ready"):
                assert time.monotonic() < deadline and proc.poll() is None, "program never started"
                time.sleep(0.05)
            os.write(master, b"\x03")  # the terminal driver signals the foreground group
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    os.read(master, 65536)  # keep the pty drained
                except OSError:
                    break
            proc.wait(timeout=30)
        finally:
            os.close(master)
        counts.append(marker.read_text())
        if swap and uv == "uv":
            assert len(tombstones_in(proj)) == 1
            run([real_uv, "sync", "-p", "3.10"], env=env, cwd=proj, check=True)
    assert counts[0] == counts[1] == "1"
