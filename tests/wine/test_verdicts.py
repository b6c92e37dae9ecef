"""Cached "keep" verdicts under Wine: winverdicts.record_keep writes, the front end reads.

No Windows Python exists here: the config names a python.exe that does not exist, so a verdict
that holds runs uv (the stand-in, or the real uv.exe) and anything else ends in the front end's
clear `error: ... cannot start venvshim's Python`, the sign it went to the Python half.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.wine import to_windows
from tests.wine.conftest import Wine, args_of, env_of
from tests.wine.test_front import TRICKY, make_shim
from venvshim.intercept import winverdicts

NO_PYTHON = "C:\\venvshim-test\\no such dir\\python.exe"
HOUR_AGO = int(time.time()) - 3600  # whole seconds: exact in ns


@dataclass
class Setup:
    wine: Wine
    shim: Path
    real: Path  # the "real uv": a stand-in of this test's own
    standin: Path  # the session's, to read the environment
    proj: Path
    state: Path
    env: dict[str, str]  # extra unix environment for wine (VENVSHIM_HOME)

    def uv(
        self, args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return self.wine.run(
            self.shim / "uv.exe",
            args,
            cwd=cwd or self.proj,
            path=[self.shim, self.real.parent],
            env={**self.env, **(env or {})},
        )

    def windows_env(self) -> dict[str, str]:
        """The environment the front end and the Python half see (the stand-in's, run alike)."""
        proc = self.wine.run(
            self.standin,
            cwd=self.proj,
            path=[self.shim, self.real.parent],
            env={**self.env, "STANDIN_ENV": "1"},
        )
        return env_of(proc.stdout)

    def record(self, argv: list[str], *, cwd: Path | None = None) -> bool:
        proj = cwd or self.proj
        return winverdicts.record_keep(
            self.state,
            pwd=to_windows(proj),
            argv=argv,
            env=self.windows_env(),
            real_uv=to_windows(self.real),
            watched=[to_windows(proj / "pyproject.toml"), to_windows(proj / ".python-version")],
            stat=lambda p: os.stat(self.wine.unix(p)),
        )

    def file(self, cwd: Path | None = None) -> Path:
        return winverdicts.verdict_path(self.state, to_windows(cwd or self.proj))


@pytest.fixture
def setup(wine: Wine, standin: Path, tmp_path: Path) -> Setup:
    real = tmp_path / "real uv" / "uv.exe"
    real.parent.mkdir()
    shutil.copyfile(standin, real)
    proj = tmp_path / "pröject dir"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1.0"\n')
    for path in (real, proj / "pyproject.toml"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    state = tmp_path / "state"
    shim = make_shim(tmp_path, python=NO_PYTHON)
    return Setup(wine, shim, real, standin, proj, state, {"VENVSHIM_HOME": to_windows(state)})


def went_to_python(proc: subprocess.CompletedProcess[bytes]) -> bool:
    return (
        proc.returncode == 2
        and proc.stdout == b""
        and proc.stderr.startswith(
            b"error: venvshim: cannot start venvshim's Python `" + NO_PYTHON.encode()
        )
    )


def kept(proc: subprocess.CompletedProcess[bytes], argv: list[str]) -> bool:
    return proc.returncode == 0 and args_of(proc.stdout) == argv


def test_a_keep_verdict_runs_uv_without_python(setup: Setup) -> None:
    assert went_to_python(setup.uv(["sync"]))
    assert setup.record(["sync"])
    assert kept(setup.uv(["sync"]), ["sync"])
    five = setup.uv(["sync"], env={"STANDIN_EXIT": "5"})
    assert five.returncode == 5 and args_of(five.stdout) == ["sync"]
    assert went_to_python(setup.uv(["sync", "--frozen"]))  # another argv: no verdict for it


def test_each_change_sends_it_to_python(setup: Setup, tmp_path: Path) -> None:
    assert setup.record(["sync"])
    pyproject = setup.proj / "pyproject.toml"
    version_file = setup.proj / ".python-version"

    # A watched file with another mtime, then the very mtime it had again.
    os.utime(pyproject, (HOUR_AGO + 1, HOUR_AGO + 1))
    assert went_to_python(setup.uv(["sync"]))
    os.utime(pyproject, (HOUR_AGO, HOUR_AGO))
    assert kept(setup.uv(["sync"]), ["sync"])
    tick = HOUR_AGO * 10**9 + 100  # one FILETIME tick later
    os.utime(pyproject, ns=(tick, tick))
    assert went_to_python(setup.uv(["sync"]))
    os.utime(pyproject, (HOUR_AGO, HOUR_AGO))

    # A watched file that was absent appears.
    version_file.write_text("3.12\n")
    assert went_to_python(setup.uv(["sync"]))
    version_file.unlink()
    assert kept(setup.uv(["sync"]), ["sync"])

    # A decision-relevant environment variable set, or changed.
    assert went_to_python(setup.uv(["sync"], env={"UV_PYTHON": "3.12"}))
    assert went_to_python(setup.uv(["sync"], env={"VIRTUAL_ENV": "C:\\x"}))
    assert kept(setup.uv(["sync"], env={"UNRELATED": "1"}), ["sync"])

    # The real uv changed (touched), or is another file.
    os.utime(setup.real, (HOUR_AGO + 5, HOUR_AGO + 5))
    assert went_to_python(setup.uv(["sync"]))
    os.utime(setup.real, (HOUR_AGO, HOUR_AGO))
    other = tmp_path / "other uv" / "uv.exe"
    other.parent.mkdir()
    shutil.copy2(setup.real, other)
    assert went_to_python(setup.uv(["sync"], env={"VENVSHIM_REAL_UV": to_windows(other)}))

    # Another working directory (a subdirectory of the project).
    sub = setup.proj / "sub"
    sub.mkdir()
    assert went_to_python(setup.uv(["sync"], cwd=sub))
    assert kept(setup.uv(["sync"]), ["sync"])


def test_argv_is_matched_as_uv_parses_it(setup: Setup) -> None:
    """The front end splits the command line as uv (Rust) and the Python half (the CRT) do:
    a verdict recorded for the argv Python would see matches, quotes and all."""
    argv = ["sync", *TRICKY]
    assert setup.record(argv)
    assert kept(setup.uv(argv), argv)
    assert went_to_python(setup.uv([*argv[:-1], argv[-1] + " "]))


def test_set_but_empty_is_not_unset(setup: Setup) -> None:
    """uv.sh's ${X+x}: an empty variable and an unset one are different verdicts."""
    setup.env["UV_PYTHON"] = ""
    assert setup.record(["sync"])
    assert b"env UV_PYTHON 0:\n" in setup.file().read_bytes()
    assert kept(setup.uv(["sync"]), ["sync"])
    del setup.env["UV_PYTHON"]
    assert went_to_python(setup.uv(["sync"]))
    assert went_to_python(setup.uv(["sync"], env={"UV_PYTHON": " "}))


def test_generic_run_entry(setup: Setup) -> None:
    assert setup.record(["run", "python", "-c", "pass"])
    assert kept(
        setup.uv(["run", "pytest", "-x", "-k", "a b"]), ["run", "pytest", "-x", "-k", "a b"]
    )
    for argv in (
        ["run", "python", "x.py"],  # a script: uv looks at it
        ["run", "python", "X.PY"],
        ["run", ".\\tool"],  # a path
        ["run", "python", "a/b"],
        ["run", "--with", "rich", "python"],  # an option of uv's
        ["run"],
    ):
        assert went_to_python(setup.uv(argv)), argv


def test_the_real_uv_behind_a_verdict(setup: Setup, win_uv: Path) -> None:
    """The real Windows uv.exe, served from a verdict: `uv version` (intercepted) prints."""
    real = setup.proj.parent / "real windows uv"
    real.mkdir()
    for item in win_uv.parent.iterdir():
        shutil.copy2(item, real / item.name)
        os.utime(real / item.name, (HOUR_AGO, HOUR_AGO))
    setup.real = real / "uv.exe"
    argv = ["version", "--short"]
    assert went_to_python(setup.uv(argv))
    assert setup.record(argv)
    proc = setup.uv(argv)
    assert (proc.returncode, proc.stdout) == (0, b"0.1.0\n"), proc.stderr


def test_default_state_root_from_the_config(setup: Setup) -> None:
    """Without VENVSHIM_HOME the front end expands the config's %LOCALAPPDATA%\\venvshim."""
    setup.env = {}
    local = setup.windows_env()["LOCALAPPDATA"]
    setup.state = setup.wine.unix(local) / "venvshim"
    try:
        assert setup.record(["sync"])
        assert setup.file().is_file()
        assert kept(setup.uv(["sync"]), ["sync"])
    finally:
        shutil.rmtree(setup.state, ignore_errors=True)


def _resum(body: bytes) -> bytes:
    return body + b"sum %016x\n" % winverdicts.fnv1a64(body)


def test_malformed_or_foreign_files_never_keep(setup: Setup) -> None:
    assert setup.record(["sync"])
    good = setup.file().read_bytes()
    body = good[:-21]
    cwd = to_windows(setup.proj).encode()
    arg = b"arg 4:sync\n"
    assert arg in body and b"\nend\n" in body
    variants = {
        "empty": b"",
        "truncated by a byte": good[:-1],
        "no checksum": body,
        "truncated body, checksum fixed": _resum(body[: len(body) // 2]),
        "no end, checksum fixed": _resum(body[: -len(b"end\n")]),
        "a wrong checksum": body + b"sum %016x\n" % (winverdicts.fnv1a64(body) ^ 1),
        "bytes after the checksum": good + b"\n",
        "another version": _resum(body.replace(b"winverdicts 1\n", b"winverdicts 2\n")),
        "CRLF lines": _resum(body.replace(b"\n", b"\r\n")),
        "a length off by one": _resum(body.replace(arg, b"arg 3:sync\n")),
        "a leading zero": _resum(body.replace(arg, b"arg 04:sync\n")),
        "a NUL in a string": _resum(body.replace(arg, b"arg 5:sync\x00\n")),
        "invalid UTF-8": _resum(body.replace(arg, b"arg 5:sync\xff\n")),
        "an unknown line": _resum(body.replace(b"\nend\n", b"\nkeep\nend\n")),
        "another cwd": _resum(
            body.replace(b"%d:%s" % (len(cwd), cwd), b"%d:%s" % (len(cwd) + 1, cwd + b"x"))
        ),
        "the sh fast path's file": b"case $vs_argv in\n  sync)\n    vs_fast=1 ;;\nesac\n",
    }
    for name, data in variants.items():
        setup.file().write_bytes(data)
        assert went_to_python(setup.uv(["sync"])), name
    setup.file().write_bytes(good)
    assert kept(setup.uv(["sync"]), ["sync"])
