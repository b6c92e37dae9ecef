"""Which of a user's startup files a login shell reads, and which line in them wins PATH.

`venvshim doctor` runs the user's shell the way editors do (`$SHELL -ilc`); when that does not find
the shim, this names the line to blame: the last line, read after the last venvshim block, that
changes PATH, preferring one that brings in the directory of the `uv` that was found. It is a
scan, not a shell: files are followed where they source another startup file of the same shell,
a line that sources any other file counts when that file changes PATH, and `eval "$(tool init)"`
style lines count as changing PATH. Only the user's own files: system ones run before them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import rcfiles

# Assignments to PATH (POSIX shells, zsh's `path` array) and what fish uses.
_SH_PATH = re.compile(
    r"(^|[;&|({\s])((export|declare|typeset|local)(\s+-\w+)*\s+)?PATH\+?="
    r"|(^|[;&|({\s])path\+?=\("
    r"|\beval\b.*\b(shellenv|init|activate|env)\b"
)
_FISH_PATH = re.compile(
    r"(^|[;(\s])set\s+(-\S+\s+)*(PATH|fish_user_paths)(\s|$)|(^|[;(\s])fish_add_path\b"
)
_SOURCE = re.compile(r"""(^|[;&|{\s])(\.|source)\s+(?P<arg>"[^"]*"|'[^']*'|[^\s;&|]+)""")
_LOGIN_FILES = {"bash": (".bash_profile", ".bash_login", ".profile")}
_RC_NAMES = {
    "bash": {".bashrc", ".bash_profile", ".bash_login", ".profile"},
    "zsh": {".zshenv", ".zprofile", ".zshrc", ".zlogin"},
    "fish": set(),
    "sh": {".profile"},
}


@dataclass(frozen=True)
class Line:
    path: Path
    number: int
    text: str

    def __str__(self) -> str:
        return f"{self.path} line {self.number} (`{self.text.strip()}`)"


@dataclass
class Finding:
    files: list[Path] = field(default_factory=list)  # read, in order
    block: Line | None = None  # the last line of the last venvshim block read
    winner: Line | None = None  # the last line after it that changes PATH


def family(shell: str) -> str | None:
    """bash, zsh, fish, or sh (dash, ash, ksh reading ~/.profile); None for shells without a
    venvshim hook."""
    name = os.path.basename(shell).removesuffix(".exe")
    if name in ("bash", "zsh", "fish"):
        return name
    if name in ("sh", "dash", "ash", "ksh", "mksh", "busybox"):
        return "sh"
    return None


def login_files(shell: str, env: Mapping[str, str]) -> list[Path]:
    """The user's files an interactive login `shell` reads first-hand, in order (existing ones)."""
    home = Path(env.get("HOME") or os.path.expanduser("~"))
    kind = family(shell)
    if kind == "bash":
        first = [home / n for n in _LOGIN_FILES["bash"] if (home / n).is_file()][:1]
        return first
    if kind == "zsh":
        zdot = Path(env.get("ZDOTDIR") or home)
        names = (".zshenv", ".zprofile", ".zshrc", ".zlogin")
        return [zdot / n for n in names if (zdot / n).is_file()]
    if kind == "fish":
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "fish"
        files = sorted((config / "conf.d").glob("*.fish")) if (config / "conf.d").is_dir() else []
        if (config / "config.fish").is_file():
            files.append(config / "config.fish")
        return files
    if kind == "sh":
        return [home / ".profile"] if (home / ".profile").is_file() else []
    return []


def _expand(word: str, env: Mapping[str, str]) -> str:
    word = word.strip("'\"")
    home = env.get("HOME", "")
    if word == "~" or word.startswith("~/"):
        word = home + word[1:]
    for name in ("HOME", "ZDOTDIR", "XDG_CONFIG_HOME"):
        value = env.get(name) or (home if name == "ZDOTDIR" else "")
        word = word.replace("${" + name + "}", value).replace("$" + name, value)
    return word


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _lines(path: Path, kind: str, env: Mapping[str, str], seen: set[Path]) -> Iterator[Line]:
    """Every line of `path` in the order the shell runs them, descending into the startup files
    of the same shell that it sources (where the source line is)."""
    seen.add(path)
    for number, text in enumerate(_read(path), 1):
        yield Line(path, number, text)
        for match in _SOURCE.finditer(text.split("#", 1)[0] if kind != "fish" else text):
            target = Path(_expand(match.group("arg"), env))
            if target.name in _RC_NAMES[kind] and target.is_file() and target not in seen:
                yield from _lines(target, kind, env, seen)


def changes_path(line: str, kind: str, env: Mapping[str, str]) -> bool:
    code = line.strip()
    if not code or code.startswith("#"):
        return False
    pattern = _FISH_PATH if kind == "fish" else _SH_PATH
    if pattern.search(code):
        return True
    for match in _SOURCE.finditer(code):
        sourced = Path(_expand(match.group("arg"), env))
        if sourced.is_file() and any(pattern.search(t) for t in _read(sourced)[:200]):
            return True
    return False


def _mentions(line: str, directory: str, env: Mapping[str, str]) -> bool:
    words = [_expand(w, env) for w in re.split(r"[\s:=()]+", line)]
    if any(w.rstrip("/") == directory for w in words):
        return True
    for match in _SOURCE.finditer(line):
        sourced = Path(_expand(match.group("arg"), env))
        if sourced.is_file() and any(_mentions(t, directory, env) for t in _read(sourced)[:200]):
            return True
    return False


def find_winner(shell: str, env: Mapping[str, str], *, uv_dir: str | None = None) -> Finding:
    """What an interactive login `shell` reads and the line after the venvshim block that wins
    PATH: the last one bringing in `uv_dir` (the directory of the uv found instead of the
    shim) if any does, else the last one that changes PATH at all."""
    kind = family(shell)
    finding = Finding()
    if kind is None:
        return finding
    after: list[Line] = []
    in_block = False
    seen: set[Path] = set()
    for first in login_files(shell, env):
        if first in seen:
            continue
        for line in _lines(first, kind, env, seen):
            if line.path not in finding.files:
                finding.files.append(line.path)
            if line.text.rstrip("\r") == rcfiles.BEGIN:
                in_block = True
            elif in_block and line.text.rstrip("\r") == rcfiles.END:
                in_block = False
                finding.block = line
                after = []
            elif not in_block and changes_path(line.text, kind, env):
                after.append(line)
    if uv_dir is not None:
        bringing = [ln for ln in after if _mentions(ln.text, uv_dir.rstrip("/"), env)]
        if bringing:
            finding.winner = bringing[-1]
            return finding
    finding.winner = after[-1] if after else None
    return finding


def user_shell(env: Mapping[str, str]) -> str | None:
    """The user's shell: the one doctor runs in (shellingham), else $SHELL; a full path."""
    import shellingham  # doctor's alone: kept off every other path

    found: str | None = None
    try:
        name, path = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        pass
    else:
        found = path if os.path.isabs(path) else shutil.which(path or name, path=env.get("PATH"))
    return found or env.get("SHELL") or None


def which_uv_for_editors(
    shell: str, env: Mapping[str, str], cwd: Path, *, timeout: float
) -> str | None:
    """What `command -v uv` says in `shell -ilc`, as editors run it to read PATH ("" for
    nothing); None when the shell did not answer in time or could not start. Run in a session
    of its own (an interactive shell must not take over the terminal doctor runs in), stdin
    from /dev/null."""
    marker = "venvshim-doctor:"
    try:
        proc = subprocess.Popen(
            [shell, "-ilc", f"echo {marker}; command -v uv"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its rc files' children too, which hold the pipe
        proc.communicate()
        return None
    text = out.decode(errors="replace")
    if marker not in text:
        return None
    lines = text.split(marker, 1)[1].strip().splitlines()
    return lines[-1].strip() if lines else ""
