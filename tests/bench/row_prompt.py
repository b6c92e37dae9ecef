"""Rows 6a-c: an interactive bash / zsh / fish prompt with the shell hook sourced vs without.

Each shell runs on a pseudo-terminal (tests/support/ptyshell.py) with a marker in its prompt, the
shim at venvshim's default location, in a project that has a `.venv`. A sample is the time from
typing `echo VS''<n>K` + Enter until the prompt after its output `VS<n>K`: that token never
appears in the terminal's echo of the typed line, so a late repaint of an earlier prompt (fish
does that) is not counted.
"""

from __future__ import annotations

import shlex
import shutil
import time
from pathlib import Path

from tests.bench.harness import Row, Sizes, interleaved, med, spread
from tests.bench.sandbox import Sandbox
from tests.support import ptyshell

SHELLS = (("6a", "bash"), ("6b", "zsh"), ("6c", "fish"))
TARGET = 1.05
PROMPT_PAIRS = 24  # fresh shell pairs the prompts are spread over (8 let one pair sway zsh by 10%)
PROMPT = b"<VSPROMPT>"


class PtyShell(ptyshell.PtyShell):
    """An interactive shell whose prompt contains PROMPT."""

    def start(self) -> None:
        self.read_until(lambda out: PROMPT in out, 20.0)

    def prompt(self) -> float:
        """Run a trivial command; seconds until the prompt after its output is drawn."""
        self.count += 1
        token = b"VS%dK" % self.count

        def done(out: bytes) -> bool:
            at = out.find(token)
            return at >= 0 and out.find(PROMPT, at) >= 0

        self.output = b""
        t0 = time.perf_counter()
        self.write(b"echo VS''%dK\n" % self.count)
        self.read_until(done, 10.0)
        return time.perf_counter() - t0


def shell_argv(
    shell: str, exe: str, hook: Path | None, conf: Path
) -> tuple[list[str], dict[str, str]]:
    """How to start `shell` interactively with the PROMPT marker and, if given, the hook."""
    source = ""
    if hook is not None:
        # A hook that sets PS1 when sourced keeps its prompt, with the marker put back at the end.
        marker = PROMPT.decode()
        source = (
            f". {shlex.quote(str(hook))}\n"
            f"case $PS1 in *'{marker}'*) ;; *) PS1=\"$PS1{marker}\" ;; esac\n"
        )
    if shell == "bash":
        rc = conf / "bashrc"
        rc.write_text(f"unset HISTFILE\nPS1='{PROMPT.decode()}'\nPS2=''\n{source}")
        return [exe, "--noprofile", "--rcfile", str(rc), "-i"], {}
    if shell == "zsh":
        (conf / ".zshrc").write_text(
            f"unset HISTFILE\nunsetopt PROMPT_SP\nPROMPT='{PROMPT.decode()}'\nPS2=''\n{source}"
        )
        return [exe, "-i"], {"ZDOTDIR": str(conf)}
    init = f"function fish_prompt; printf '%s' '{PROMPT.decode()}'; end\n"
    if hook is not None:
        init += f"source {shlex.quote(str(hook))}\n"
    return [exe, "--private", "-i", "-C", init], {"XDG_CONFIG_HOME": str(conf)}


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    project = sb.healthy_project()
    prompts = sizes.pick(500, 2000)  # per shell (~0.1 ms each)
    return [one_shell(sb, project, key, shell, prompts) for key, shell in SHELLS]


def one_shell(sb: Sandbox, project: Path, key: str, shell: str, prompts: int) -> Row:
    what = f"{shell} prompt with hook vs without"
    hook = sb.hooks_dir / f"venvshim.{shell}"
    exe = shutil.which(shell)
    if not hook.is_file():
        return Row(key, what, status="n/a (no hook yet)", target=TARGET)
    if exe is None:
        return Row(key, what, status=f"n/a ({shell} not installed)", target=TARGET)
    env = {**sb.shim_env, "TERM": "dumb", "SHELL": exe}
    tp: list[float] = []
    th: list[float] = []
    try:
        # Several fresh pairs of shells: two given processes differ by a few percent for reasons
        # of their own (layout, CPU), which one pair would report as the hook's cost.
        for pair in range(PROMPT_PAIRS):
            shells: dict[str, PtyShell] = {}
            # Which of the two starts first alternates: the second of a pair tends to run a few
            # percent slower or faster for the whole pair, whatever it has sourced.
            order = [("plain", None), ("hook", hook)][:: 1 if pair % 2 else -1]
            try:
                for name, h in order:
                    conf = sb.root / f"shellconf-{shell}-{name}-{pair}"
                    conf.mkdir()
                    argv, extra = shell_argv(shell, exe, h, conf)
                    sh = PtyShell(argv, {**env, **extra}, project)
                    shells[name] = sh
                    sh.start()
                plain_sh, hook_sh = shells["plain"], shells["hook"]
                for _ in range(10):
                    plain_sh.prompt()
                    hook_sh.prompt()
                n = max(1, prompts // PROMPT_PAIRS)
                p_times, h_times = interleaved(n, plain_sh.prompt, hook_sh.prompt)
                tp.extend(p_times)
                th.extend(h_times)
            finally:
                for sh in shells.values():
                    sh.close()
    except ptyshell.PtyError as exc:
        return Row(key, what, status="ERROR", target=TARGET, note=str(exc)[:600])
    return Row(
        key,
        what,
        base=med(tp),
        shim=med(th),
        target=TARGET,
        n=len(tp),
        note=f"{PROMPT_PAIRS} pairs of shells; per prompt (`echo` + redraw) in a project "
        f"with a .venv: the hook adds {(med(th) - med(tp)) * 1e6:.0f} us; "
        f"spread {spread(tp)}, {spread(th)}",
    )
