"""The shipped shell hooks in the real bash, zsh and fish, on a pseudo-terminal.

What they must do at the first prompt: put the shim directory back in front of PATH when a later
rc line prepended uv's own directory (and leave PATH alone when it is already first), and start gc
at most once per interval across shells, detached (the prompt never waits) and silent (nothing in
the terminal); then unhook, so that no later prompt runs any venvshim code.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.e2e.conftest import wait_until
from tests.support import ptyshell
from venvshim import autogc
from venvshim.state import StateRoot

HOOKS = REPO / "hooks"
SHELLS = ("bash", "zsh", "fish")
ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[=>])")
ANSI_B = re.compile(ANSI.pattern.encode())


class PtyShell(ptyshell.PtyShell):
    """`run` types a command and returns its output."""

    def run(self, command: str, timeout: float = 60.0) -> str:
        """Output of `command` (typed at the prompt), up to a marker echoed after it."""
        self.count += 1
        token = f"VSDONE{self.count}X"
        start = len(self.output)
        self.write(f"{command}; echo {token[:3]}''{token[3:]}\n".encode())
        needle = f"\n{token}\n".encode()
        self.read_until(lambda out: needle in ANSI_B.sub(b"", out.replace(b"\r", b"")), timeout)
        chunk = self.output[start:].decode(errors="replace").replace("\r", "")
        chunk = ANSI.sub("", chunk)
        lines = chunk[: chunk.index(f"\n{token}")].split("\n")
        typed = f"{token[:3]}''{token[3:]}"  # the echoed command line: drop it and what precedes
        echoed = [i for i, line in enumerate(lines) if typed in line]
        return "\n".join(lines[echoed[-1] + 1 :] if echoed else lines)


@contextlib.contextmanager
def pty_shell(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Iterator[PtyShell]:
    shell = PtyShell(argv, env, cwd)
    try:
        yield shell
    finally:
        shell.close()


def shell_exe(shell: str) -> str:
    exe = shutil.which(shell)
    require(exe is not None, f"{shell} (apt-get install {shell}; .ci/run installs it)")
    assert exe is not None
    return exe


def path_of(shell: str) -> str:
    return "string join : $PATH" if shell == "fish" else 'printf "%s\\n" "$PATH"'


def configure(shell: str, home: Path, env: dict[str, str], lines: str) -> list[str]:
    """Write `lines` as the interactive rc file of `shell` under `home`; argv to start it."""
    exe = shell_exe(shell)
    if shell == "bash":
        (home / ".bashrc").write_text(lines)
        return [exe, "-i"]
    if shell == "zsh":
        (home / ".zshrc").write_text("unsetopt PROMPT_SP\n" + lines)
        return [exe, "-i"]
    conf = Path(env["XDG_CONFIG_HOME"]) / "fish"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "config.fish").write_text(lines)
    return [exe, "-i"]


def hook_lines(shell: str, *, shim_dir: Path, python: str, then: str) -> str:
    hook = HOOKS / f"venvshim.{shell}"
    if shell == "fish":
        return (
            f"set -g VENVSHIM_SHIM_DIR '{shim_dir}'\nset -g VENVSHIM_PYTHON '{python}'\n"
            f"source '{hook}'\n{then}\n"
        )
    return f"VENVSHIM_SHIM_DIR='{shim_dir}'\nVENVSHIM_PYTHON='{python}'\n. '{hook}'\n{then}\n"


def fake_uv_dir(root: Path, real_uv: Path) -> Path:
    """uv's own directory, as the standalone installer makes it (`~/.local/bin`)."""
    directory = root / "uv home" / ".local" / "bin"
    directory.mkdir(parents=True)
    (directory / "uv").symlink_to(real_uv)
    return directory


@pytest.mark.parametrize("shell", SHELLS)
def test_prompt_puts_the_shim_back_in_front_of_uvs_dir(
    shell: str, env: dict[str, str], shim_dir: Path, real_uv: Path, tmp_path: Path
) -> None:
    home = Path(env["HOME"])
    uv_dir = fake_uv_dir(tmp_path, real_uv)
    prepend = f"set -gx PATH '{uv_dir}' $PATH" if shell == "fish" else f"PATH='{uv_dir}':\"$PATH\""
    argv = configure(
        shell, home, env, hook_lines(shell, shim_dir=shim_dir, python="", then=prepend)
    )
    run_env = {**env, "TERM": "dumb", "SHELL": argv[0]}
    with pty_shell(argv, run_env, home) as sh:
        assert sh.run("command -v uv").strip() == str(shim_dir / "uv")
        first = sh.run(path_of(shell)).strip()
        assert first.split(":")[:2] == [str(shim_dir), str(uv_dir)]
        assert first.split(":").count(str(shim_dir)) == 1
        # Already first: the next prompts leave PATH exactly as it is.
        assert sh.run(path_of(shell)).strip() == first
        assert sh.run(path_of(shell)).strip() == first


@pytest.mark.parametrize("shell", SHELLS)
def test_gc_at_most_once_per_interval_detached_and_silent(
    shell: str, env: dict[str, str], shim_dir: Path, tmp_path: Path
) -> None:
    home = Path(env["HOME"])
    state = StateRoot(Path(env["VENVSHIM_HOME"]))
    state.home.mkdir(parents=True)
    # A Python that does not start until the gate opens: a prompt that waited for it would hang.
    gate = tmp_path / "gate open"
    held = tmp_path / "held python"
    held.write_text(
        f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\nexec {sys.executable} "$@"\n'
    )
    held.chmod(0o755)
    argv = configure(
        shell, home, env, hook_lines(shell, shim_dir=shim_dir, python=str(held), then="")
    )
    run_env = {**env, "TERM": "dumb", "SHELL": argv[0], "VENVSHIM_GC_INTERVAL": "3600"}
    texts = []
    try:
        with pty_shell(argv, run_env, home) as first:
            for _ in range(5):
                first.run(":")  # prompts come back while gc still waits at the gate
            assert autogc.runs(state) == []
            gate.touch()
            assert wait_until(lambda: len(autogc.runs(state)) == 1, timeout=20)
            texts.append(first.output)
    finally:
        gate.touch()
    # Another shell inside the interval: no second run.
    with pty_shell(argv, run_env, home) as second:
        second.run(":")
        time.sleep(1.0)  # time for a wrongly started run to show up
        texts.append(second.output)
    assert len(autogc.runs(state)) == 1
    # Once it is due (the stamp's mtime is the due time), the next shell starts one.
    stamp = state.home / autogc.STAMP
    os.utime(stamp, (time.time() - 1, time.time() - 1))
    with pty_shell(argv, run_env, home) as third:
        third.run(":")
        assert wait_until(lambda: len(autogc.runs(state)) == 2, timeout=20)
        texts.append(third.output)
    assert all("from=hook" in line for line in autogc.runs(state))
    text = b"".join(texts).decode(errors="replace")
    for noise in ("[1]", "Done", "has ended", "Traceback", "error"):
        assert noise not in text, f"{noise!r} printed into the terminal: {text!r}"


HOOK_LEFT = {
    "bash": 'case "$PROMPT_COMMAND" in *venvshim*) echo HOOKED ;; *) echo CLEAN ;; esac',
    "zsh": 'case " $precmd_functions " in *venvshim*) echo HOOKED ;; *) echo CLEAN ;; esac',
    "fish": "if functions -q __venvshim_first_prompt; echo HOOKED; else; echo CLEAN; end",
}


@pytest.mark.parametrize("shell", SHELLS)
def test_later_prompts_run_no_venvshim_code(
    shell: str, env: dict[str, str], shim_dir: Path, tmp_path: Path
) -> None:
    """After the first prompt the hook is gone: prompts cost exactly what they cost without it
    (tests/bench row 6 measures that), and a user's own prompt hooks still run."""
    home = Path(env["HOME"])
    own = {
        "bash": "mine() { echo -n; }; PROMPT_COMMAND=mine",
        "zsh": "autoload -Uz add-zsh-hook; mine() { }; add-zsh-hook precmd mine",
        "fish": "function mine --on-event fish_prompt; end",
    }[shell]
    lines = own + "\n" + hook_lines(shell, shim_dir=shim_dir, python="", then="")
    argv = configure(shell, home, env, lines)
    with pty_shell(argv, {**env, "TERM": "dumb", "SHELL": argv[0]}, home) as sh:
        assert sh.run(HOOK_LEFT[shell]).strip() == "CLEAN"
        if shell == "bash":
            assert sh.run('echo "$PROMPT_COMMAND"').strip() == "mine"
        elif shell == "zsh":
            assert sh.run("print -r -- $precmd_functions").strip() == "mine"
        else:
            assert sh.run("functions -q mine; and echo KEPT").strip() == "KEPT"
        assert sh.run("command -v uv").strip() == str(shim_dir / "uv")
