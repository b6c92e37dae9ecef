"""The Windows front end under Wine: pass-through, argv, exit codes, errors, the job object.

"plain" runs the real Windows uv.exe (or the stand-in) directly; "shim" runs the front end from
the shim directory `venvshim install --platform windows` wrote, with that directory first on the
Windows PATH and the real uv (or the stand-in) after it.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.wine import to_windows
from tests.wine.conftest import Wine, args_of, argv0_of, decode
from venvshim.integration import winshim

TRICKY = [
    "a b",  # a space
    'say "hi"',  # embedded quotes
    'back\\"slash',  # a backslash before a quote
    "ends\\",  # a trailing backslash
    "tail two\\\\",  # trailing backslashes in a quoted argument
    "",  # an empty argument
    "naïve ünïcödé — 𝄞",  # non-ASCII, one outside the BMP
    "tab\there",
    "%PATH%",  # no expansion anywhere
    "--",
    '""',
]


def make_shim(base: Path, *, python: str, args: tuple[str, ...] = ("-I", "-S", "-c", "x")) -> Path:
    """A shim directory like the installed one, with a config naming `python`."""
    directory = base / "shim"
    directory.mkdir(parents=True)
    (directory / "uv.exe").write_bytes(winshim.front_exe())
    (directory / ".venvshim-shim-dir").write_text("venvshim shim directory\n")
    (directory / winshim.CONFIG).write_bytes(winshim.render_config(python=python, args=args))
    return directory


@pytest.mark.parametrize("args", [["--version"], ["help"], ["pip", "--help"], ["self", "nope"]])
def test_output_is_plain_uvs(wine: Wine, shim_dir: Path, win_uv: Path, args: list[str]) -> None:
    plain = wine.run(win_uv, args, path=[win_uv.parent])
    shim = wine.run(shim_dir / "uv.exe", args, path=[shim_dir, win_uv.parent])
    assert plain.stdout or plain.stderr
    assert (shim.returncode, shim.stdout, shim.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    if args == ["--version"]:
        assert plain.stdout.startswith(b"uv ") and b"windows" in plain.stdout


def test_exit_codes_pass_through(wine: Wine, shim_dir: Path, win_uv: Path, standin: Path) -> None:
    path = [shim_dir, win_uv.parent]
    unknown = wine.run(
        shim_dir / "uv.exe", ["frobnicate"], path=path, env={"VENVSHIM_DISABLE": "1"}
    )
    assert unknown.returncode == 2 and b"unrecognized subcommand 'frobnicate'" in unknown.stderr
    assert unknown.stderr == wine.run(win_uv, ["frobnicate"], path=[win_uv.parent]).stderr
    five = wine.run(
        shim_dir / "uv.exe", ["pip"], path=[shim_dir, standin.parent], env={"STANDIN_EXIT": "5"}
    )
    assert five.returncode == 5 and args_of(five.stdout) == ["pip"]


def test_unknown_word_goes_to_python_like_uv_sh(wine: Wine, shim_dir: Path, win_uv: Path) -> None:
    """uv.sh sends an unknown first word to Python (it may be the value of an option it does
    not know); so does uv.exe. The config from a Linux install names a Python Wine cannot start."""
    proc = wine.run(shim_dir / "uv.exe", ["frobnicate"], path=[shim_dir, win_uv.parent])
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.startswith(b"error: venvshim: cannot start venvshim's Python")


@pytest.mark.parametrize("lead", [["pip", "list"], []])
def test_argv_is_byte_exact(wine: Wine, shim_dir: Path, standin: Path, lead: list[str]) -> None:
    args = [*lead, *TRICKY]
    env = {"VENVSHIM_DISABLE": "1"} if not lead else {}  # "a b" first would go to Python
    direct = wine.run(standin, args, path=[standin.parent], env=env)
    shim = wine.run(shim_dir / "uv.exe", args, path=[shim_dir, standin.parent], env=env)
    assert direct.returncode == shim.returncode == 0
    assert args_of(direct.stdout) == args  # what the test meant to pass did arrive
    assert decode(shim.stdout) == decode(direct.stdout)  # raw command line tail included
    assert argv0_of(shim.stdout) == to_windows(standin)


def test_stdin_and_stdout_bytes(wine: Wine, shim_dir: Path, standin: Path) -> None:
    data = bytes(range(256)) * 64 + b"\r\n\x1a\n\x00 end" + os.urandom(300_000)
    proc = wine.run(
        shim_dir / "uv.exe",
        ["pip"],
        path=[shim_dir, standin.parent],
        env={"STANDIN_CAT": "1"},
        input=data,
    )
    assert proc.returncode == 0 and proc.stdout == data


def _assert_clear_error(proc: subprocess.CompletedProcess[bytes], *needles: bytes) -> None:
    assert proc.returncode == 2, proc
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert lines[0].startswith("error: venvshim: ") and lines[1].startswith("hint: "), lines
    for needle in needles:
        assert needle in proc.stderr


def test_only_the_shim_on_path(wine: Wine, shim_dir: Path) -> None:
    proc = wine.run(shim_dir / "uv.exe", ["--version"], path=[shim_dir], timeout=60)
    _assert_clear_error(proc, b"cannot find the real uv")
    twice = wine.run(shim_dir / "uv.exe", ["sync"], path=[shim_dir, shim_dir], timeout=60)
    _assert_clear_error(twice, b"cannot find the real uv")


def test_shim_dir_twice_before_the_real_uv(wine: Wine, shim_dir: Path, win_uv: Path) -> None:
    proc = wine.run(shim_dir / "uv.exe", ["--version"], path=[shim_dir, shim_dir, win_uv.parent])
    assert proc.returncode == 0 and proc.stdout.startswith(b"uv ")


def test_bad_venvshim_real_uv(wine: Wine, shim_dir: Path, win_uv: Path, tmp_path: Path) -> None:
    path = [shim_dir, win_uv.parent]
    for value, needle in [
        (to_windows(tmp_path / "missing" / "uv.exe"), b"which does not exist"),
        (to_windows(tmp_path), b"which is a directory"),
        (to_windows(shim_dir / "uv.exe"), b"which is venvshim's shim"),
    ]:
        proc = wine.run(
            shim_dir / "uv.exe", ["--version"], path=path, env={"VENVSHIM_REAL_UV": value}
        )
        _assert_clear_error(proc, needle, b"VENVSHIM_REAL_UV")
    good = wine.run(
        shim_dir / "uv.exe",
        ["--version"],
        path=[shim_dir],
        env={"VENVSHIM_REAL_UV": to_windows(win_uv)},
    )
    assert good.returncode == 0 and good.stdout.startswith(b"uv ")


def test_unstamped_copies_do_not_recurse(wine: Wine, shim_dir: Path, tmp_path: Path) -> None:
    """Copies of uv.exe in directories without the stamp would start each other forever: the
    guard (VENVSHIM_GUARD, the path the front end starts) stops the second one."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        shutil.copyfile(shim_dir / "uv.exe", d / "uv.exe")
    proc = wine.run(a / "uv.exe", ["--version"], path=[a, b], timeout=60)
    _assert_clear_error(proc, b"another venvshim shim")
    explicit = wine.run(
        a / "uv.exe", ["--version"], path=[a], env={"VENVSHIM_REAL_UV": to_windows(b / "uv.exe")}
    )
    _assert_clear_error(explicit, b"another venvshim shim")


def test_a_config_naming_the_shim_as_python_does_not_recurse(
    wine: Wine, win_uv: Path, tmp_path: Path
) -> None:
    shim = tmp_path / "shim"
    shim = make_shim(tmp_path, python=to_windows(shim / "uv.exe"))
    proc = wine.run(shim / "uv.exe", ["sync"], path=[shim, win_uv.parent], timeout=60)
    _assert_clear_error(proc, b"names venvshim's shim as its Python")
    (shim / winshim.CONFIG).write_bytes(b"venvshim-front 1\npython 3:abc\n")  # no state line
    proc = wine.run(shim / "uv.exe", ["sync"], path=[shim, win_uv.parent], timeout=60)
    _assert_clear_error(proc, b"cannot read the shim's configuration")
    (shim / winshim.CONFIG).unlink()
    proc = wine.run(shim / "uv.exe", ["sync"], path=[shim, win_uv.parent], timeout=60)
    _assert_clear_error(proc, b"cannot read the shim's configuration", b"venvshim install")
    version = wine.run(shim / "uv.exe", ["--version"], path=[shim, win_uv.parent])
    assert version.returncode == 0  # what needs no decision needs no config


def test_python_is_started_only_for_a_decision(wine: Wine, standin: Path, tmp_path: Path) -> None:
    """With a stand-in as venvshim's Python: what uv.sh's `exec PYTHON -I -S -c BOOT REAL_UV
    SHIM PWD ARGS` becomes, argument for argument (the boot code holds quotes and spaces)."""
    python_dir = tmp_path / "py thon"
    python_dir.mkdir()
    python = python_dir / "python.exe"
    shutil.copyfile(standin, python)
    boot = "import sys; sys.path[:0] = ['C:\\\\a b\\\\\"q\\\\', 'x']; main()"
    shim = make_shim(tmp_path, python=to_windows(python), args=("-I", "-S", "-c", boot))
    cwd = tmp_path / "wörk dir"
    cwd.mkdir()
    decided = (
        ["sync", *TRICKY],
        ["-q", "run", "python"],
        ["--project", "p", "v"],
        ["x"],
        ["tool", "install", "ruff"],
        ["pip", "-q", "uninstall", "x"],
        ["tool", "frob"],
    )
    for args in decided:  # fmt: skip
        proc = wine.run(shim / "uv.exe", args, path=[shim, standin.parent], cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        assert argv0_of(proc.stdout) == to_windows(python)
        assert args_of(proc.stdout) == [
            "-I", "-S", "-c", boot, to_windows(standin), to_windows(shim / "uv.exe"),
            to_windows(cwd), *args,
        ]  # fmt: skip
    passed = (
        ["pip", "list"],
        ["--directory", "sync", "lock"],
        ["--", "sync"],
        ["-V"],
        [],
        ["tool", "run", "ruff"],
        ["--color", "never", "tool", "dir"],
        ["tool"],
    )
    for args in passed:  # fmt: skip
        proc = wine.run(shim / "uv.exe", args, path=[shim, standin.parent], cwd=cwd)
        assert argv0_of(proc.stdout) == to_windows(standin), args
        assert args_of(proc.stdout) == args


def test_killing_the_front_end_kills_uv(wine: Wine, shim_dir: Path, standin: Path) -> None:
    """The job object: uv (the stand-in, asleep) dies with the front end. It holds the stdout
    pipe, so EOF on it means it is gone."""
    with (
        wine.popen(
            shim_dir / "uv.exe",
            ["pip"],
            path=[shim_dir, standin.parent],
            env={"STANDIN_SLEEP": "1"},
        ) as proc,
        selectors.DefaultSelector() as sel,
    ):
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60  # a hang guard, not a speed check
        rest = b"x"
        while rest and time.monotonic() < deadline:
            if sel.select(timeout=1):
                rest = os.read(proc.stdout.fileno(), 4096)
        assert rest == b"", "the stand-in outlived the front end: not in a kill-on-close job"
