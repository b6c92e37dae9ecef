"""The shipped shell hooks in the real bash, zsh, fish and dash.

Installed as `venvshim install --modify-path` installs them, into a sandbox HOME whose path has
spaces, quotes and non-ASCII: whatever rc lines run after the venvshim block (uv's own env line, an
unconditional prepend of uv's directory), every shell mode that editors, terminals and scripts use
must find the shim first on PATH, exactly once, every other entry where it was; a shim directory
gone from disk adds nothing. At the first prompt the hooks start gc at most once per interval
across shells, detached (the prompt never waits) and silent (nothing in the terminal); then they
unhook, so that no later prompt runs any venvshim code.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.e2e.conftest import wait_until
from tests.support import ptyshell
from venvshim import autogc
from venvshim.integration import rcfiles
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
    "bash": 'case "$PROMPT_COMMAND $(trap -p DEBUG)" in *venvshim*) echo HOOKED ;; '
    "*) echo CLEAN ;; esac",
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


# --- every shell mode, installed for real ------------------------------------------------------

WEIRD = 'it\'s a "höme" dir ü'
# Terminals start -i (or -l/-il) shells; editors read PATH from `$SHELL -ilc` (VS Code) or
# `-l -i -c` / `-l -c` (Emacs' exec-path-from-shell); scripts and CI run `-lc`, `-ic`.
PROMPT_MODES = ("-i", "-l", "-il")
COMMAND_MODES = ("-ic", "-ilc", "-lc")
# The same startup files without a prompt: what the shell would have on PATH without venvshim.
SAME_FILES = {"-i": "-ic", "-l": "-ilc", "-il": "-ilc", "-ic": "-ic", "-ilc": "-ilc", "-lc": "-lc"}

# uv's standalone installer (cargo-dist) writes these two files and sources them from rc files.
UV_ENV_SH = """#!/bin/sh
# add binaries to PATH if they aren't added yet
# affix colons on either side of $PATH to simplify matching
case ":${PATH}:" in
    *:"$HOME/.local/bin":*)
        ;;
    *)
        # Prepending path in case a system-installed binary needs to be overridden
        export PATH="$HOME/.local/bin:$PATH"
        ;;
esac
"""
UV_ENV_FISH = """if not contains "$HOME/.local/bin" $PATH
    # Prepending path in case a system-installed binary needs to be overridden
    set -x PATH "$HOME/.local/bin" $PATH
end
"""
# What runs after the venvshim block: in every POSIX startup file that has one (and zsh's
# .zlogin, read after .zshrc by login shells), in fish's config.fish (read after conf.d).
LATER = {
    "nothing": ("", ""),
    "uv-env": ('. "$HOME/.local/bin/env"', 'source "$HOME/.local/bin/env.fish"'),
    "prepend": ('export PATH="$HOME/.local/bin:$PATH"', "set -gx PATH ~/.local/bin $PATH"),
    "fish_add_path": ("", "fish_add_path -m ~/.local/bin"),
}
LATER_FILES = {
    "bash": (".profile", ".bashrc"),
    "zsh": (".zprofile", ".zshrc", ".zlogin"),
    "dash": (".profile",),
}

# A Debian-like start: ~/.profile sources ~/.bashrc for bash, which returns when not interactive.
PROFILE = """# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then
        . "$HOME/.bashrc"
    fi
fi
"""
BASHRC = """# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac
HISTCONTROL=ignoreboth
"""
# Each on a line of its own (a pty may show the prompt in front of the first).
REPORT = {
    "sh": "printf '\\nuv=%s\\n' \"$(command -v uv)\"; printf 'PATH=%s\\n' \"$PATH\"",
    "fish": "printf '\\nuv=%s\\n' (command -v uv); printf 'PATH=%s\\n' (string join : -- $PATH)",
}


class Sandbox:
    """A HOME with the user's own rc files, then `venvshim install --modify-path` into it, then
    uv's own directory (`~/.local/bin`, with a `uv` and uv's env scripts)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], real_uv: Path) -> None:
        home = tmp_path / WEIRD
        (home / "tmp").mkdir(parents=True)
        self.home = home
        self.env = {
            **env,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "VENVSHIM_HOME": str(home / ".local" / "state" / "venvshim"),
            "TMPDIR": str(home / "tmp"),
            "TERM": "dumb",
        }
        (home / ".profile").write_text(PROFILE)
        (home / ".bashrc").write_text(BASHRC)
        (home / ".zshrc").write_text("unsetopt PROMPT_SP\n")
        self.shim_dir = home / ".local" / "share" / "venvshim" / "bin"
        proc = subprocess.run(
            [sys.executable, "-m", "venvshim", "install", "--shim-dir", str(self.shim_dir),
             "--modify-path", "--no-scheduler"],
            env=self.env, cwd=home, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        self.uv_dir = home / ".local" / "bin"
        self.uv_dir.mkdir(parents=True)
        (self.uv_dir / "uv").symlink_to(real_uv)
        (self.uv_dir / "env").write_text(UV_ENV_SH)
        (self.uv_dir / "env.fish").write_text(UV_ENV_FISH)
        self.config_fish = home / ".config" / "fish" / "config.fish"

    def add_later(self, shell: str, later: str) -> None:
        """The line(s) of `later` after every venvshim block that `shell` reads."""
        sh_line, fish_line = LATER[later]
        if shell == "fish":
            if fish_line:
                with self.config_fish.open("a") as fh:
                    fh.write(fish_line + "\n")
            return
        for name in LATER_FILES[shell]:
            if sh_line:
                with (self.home / name).open("a") as fh:
                    fh.write(sh_line + "\n")

    def rc_files(self) -> list[Path]:
        fish = self.home / ".config" / "fish"
        names = [".profile", ".bashrc", ".bash_profile", ".zprofile", ".zshrc", ".zlogin"]
        return [p for p in [*(self.home / n for n in names), fish / "conf.d" / "venvshim.fish"]
                if p.exists()]  # fmt: skip

    @contextlib.contextmanager
    def without_venvshim(self) -> Iterator[None]:
        """Every venvshim block taken out for a moment: the PATH the user had without venvshim."""
        saved = {p: p.read_bytes() for p in self.rc_files()}
        try:
            for path, data in saved.items():
                span = rcfiles.find_block(data)
                if span is not None:
                    path.write_bytes(data[: span[0]] + data[span[1] :])
            yield
        finally:
            for path, data in saved.items():
                path.write_bytes(data)

    @contextlib.contextmanager
    def shim_dir_gone(self) -> Iterator[None]:
        away = self.shim_dir.with_name("bin, moved away")
        self.shim_dir.rename(away)
        try:
            yield
        finally:
            away.rename(self.shim_dir)


@dataclass(frozen=True)
class Seen:
    uv: str
    path: list[str]


def parse_report(shell: str, text: str) -> Seen:
    uv = re.findall(r"^uv=(.*)$", text, re.M)
    path = re.findall(r"^PATH=(.*)$", text, re.M)
    assert len(uv) == 1 and len(path) == 1, f"{shell}: no report in {text!r}"
    return Seen(uv[0], path[0].split(":"))


def report(shell: str, mode: str, sb: Sandbox) -> Seen:
    """`command -v uv` and PATH as the first command of `shell mode` sees them."""
    exe = shell_exe(shell)
    script = REPORT["fish" if shell == "fish" else "sh"]
    env = {**sb.env, "SHELL": exe}
    if mode in PROMPT_MODES:
        with pty_shell([exe, mode], env, sb.home) as sh:
            return parse_report(shell, sh.run(script))
    proc = subprocess.run(
        [exe, mode, script], env=env, cwd=sb.home, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, (shell, mode, proc.stdout, proc.stderr)
    return parse_report(shell, proc.stdout)


def assert_shim_first_once(seen: Seen, without: Seen, sb: Sandbox, what: str) -> None:
    shim = str(sb.shim_dir)
    assert seen.uv == str(sb.shim_dir / "uv"), f"{what}: `uv` is {seen.uv}"
    # Exactly once, in front; every other entry where it was without venvshim.
    assert seen.path == [shim, *(p for p in without.path if p != shim)], what


def check_every_way(shell: str, mode: str, sb: Sandbox) -> None:
    with sb.without_venvshim():
        without = report(shell, SAME_FILES[mode], sb)
    assert without.uv != str(sb.shim_dir / "uv")
    assert_shim_first_once(report(shell, mode, sb), without, sb, f"{shell} {mode}")
    with sb.shim_dir_gone():
        gone = report(shell, mode, sb)
    assert gone == without, f"{shell} {mode}, shim directory gone: PATH {gone.path}"


def cases() -> Iterator[tuple[str, str, str]]:
    for shell in SHELLS:
        for mode in (*PROMPT_MODES, *COMMAND_MODES):
            for later in LATER:
                if later != "fish_add_path" or shell == "fish":
                    yield shell, mode, later


@pytest.mark.parametrize(("shell", "mode", "later"), list(cases()))
def test_the_shim_is_first_in_every_mode(
    shell: str, mode: str, later: str, env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    sb = Sandbox(tmp_path, env, real_uv)
    sb.add_later(shell, later)
    check_every_way(shell, mode, sb)


@pytest.mark.parametrize("mode", ["-l", "-lc"])
def test_dash_login_shells_get_the_shim_from_profile(
    mode: str, env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    """~/.profile's block is all a login dash reads (no line after it can be undone there)."""
    sb = Sandbox(tmp_path, env, real_uv)
    check_every_way("dash", mode, sb)


@pytest.mark.parametrize("shell", SHELLS)
def test_an_inherited_path_with_the_shim_keeps_one(
    shell: str, env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    """An editor started from a hooked terminal: the shim is already on the inherited PATH, and
    an rc line puts uv's directory before it. One shim, in front; nothing else moves."""
    sb = Sandbox(tmp_path, env, real_uv)
    toolbin, rest = env["PATH"].split(":", 1)
    sb.env["PATH"] = f"{toolbin}:{sb.shim_dir}:{sb.uv_dir}:{rest}:{sb.shim_dir}"
    sb.add_later(shell, "prepend")
    for mode in ("-ic", "-il"):
        check_every_way(shell, mode, sb)


def insert_before_block(path: Path, lines: str) -> None:
    text = path.read_text()
    at = text.index(rcfiles.BEGIN)
    path.write_text(text[:at] + lines + "\n" + text[at:])


def run_c(shell: str, mode: str, script: str, sb: Sandbox) -> str:
    exe = shell_exe(shell)
    proc = subprocess.run(
        [exe, mode, script], env={**sb.env, "SHELL": exe}, cwd=sb.home,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, (shell, mode, proc.stdout, proc.stderr)
    return proc.stdout


# A DEBUG trap of the user's own, set before the block; what the shell then lists for it.
USER_TRAPS = {
    "bash": ("trap 'mine=\"$?,$_\"' DEBUG", "trap -p DEBUG", "trap -- 'mine=\"$?,$_\"' DEBUG"),
    "zsh": ("trap 'mine=\"$?,$_\"' DEBUG", "trap", "trap -- 'mine=\"$?,$_\" ' DEBUG"),
    "zsh TRAPDEBUG": (
        'TRAPDEBUG() { mine="$?,$_" }',
        "functions TRAPDEBUG",
        'TRAPDEBUG () {\n\tmine="$?,$_" \n}',
    ),
}


@pytest.mark.parametrize("mode", COMMAND_MODES)
@pytest.mark.parametrize("flavour", list(USER_TRAPS))
def test_a_users_debug_trap_keeps_running_and_is_given_back(
    flavour: str, mode: str, env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    shell = flavour.split(maxsplit=1)[0]
    sb = Sandbox(tmp_path, env, real_uv)
    trap, listing, expected = USER_TRAPS[flavour]
    for name in (".profile", ".bashrc") if shell == "bash" else (".zprofile", ".zshrc"):
        insert_before_block(sb.home / name, trap)
    sb.add_later(shell, "prepend")
    script = f'false; seen=$mine; echo "seen=$seen"; command -v uv; {listing}'
    with sb.without_venvshim():
        without = run_c(shell, mode, script, sb).splitlines()
    assert without[0] == "seen=1,false" and "\n".join(without[2:]) == expected  # the premise
    out = run_c(shell, mode, script, sb).splitlines()
    # It ran before the first command with that command's `$?` and `$_`, and it is listed as it
    # was: exactly what the shell does without venvshim, but with the shim as `uv`.
    assert out == [without[0], str(sb.shim_dir / "uv"), *without[2:]]


@pytest.mark.parametrize("mode", COMMAND_MODES)
def test_bash_extdebug_skips_no_rc_line(
    mode: str, env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    """Under extdebug a DEBUG trap that returns non-zero skips the next command: after a failing
    rc line, ours must not skip the one that follows it."""
    sb = Sandbox(tmp_path, env, real_uv)
    for name in (".profile", ".bashrc"):
        insert_before_block(sb.home / name, "shopt -s extdebug")
        with (sb.home / name).open("a") as fh:
            fh.write('false\nafter="$after+"\nexport PATH="$HOME/.local/bin:$PATH"\n')
    out = run_c("bash", mode, 'false; echo "after=$after"; command -v uv', sb).splitlines()
    plus = "++" if mode == "-ilc" else "+"  # -ilc reads both files
    assert out == [f"after={plus}", str(sb.shim_dir / "uv")]


def test_fish_path_handlers_of_the_users_own_still_run(
    env: dict[str, str], real_uv: Path, tmp_path: Path
) -> None:
    sb = Sandbox(tmp_path, env, real_uv)
    sb.config_fish.write_text(
        "function mine --on-variable PATH; set -g seen $seen $PATH[1]; end\n"
        "set -gx PATH ~/.local/bin $PATH\n"
    )
    out = run_c("fish", "-ilc", "string join \\n -- $seen (command -v uv)", sb).splitlines()
    # Theirs ran (ours, defined first, had already put the shim back each time) and `uv` is the
    # shim.
    assert out[:-1] and set(out[:-1]) == {str(sb.shim_dir)}, out
    assert out[-1] == str(sb.shim_dir / "uv")
