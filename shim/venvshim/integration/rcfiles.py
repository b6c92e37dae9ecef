"""Shell startup files: the venvshim block, written once, removed so the file is as it was.

The block sits between `# >>> venvshim >>>` and `# <<< venvshim <<<` and only sets three
variables and sources a shipped hook file (hooks/venvshim.<shell>). Files are handled as bytes:
whatever encoding and line endings a file has survive. What a first install did to a file (created
it, added a final newline before the block, created its directories) is returned as an `Edit`
and kept in the install manifest, so that uninstall restores the file byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import VenvshimError
from ..fs import write_atomic

BEGIN = "# >>> venvshim >>>"
END = "# <<< venvshim <<<"
_BEGIN_RE = re.compile(rb"(?m)^# >>> venvshim >>>\r?$")
_END_RE = re.compile(rb"(?m)^# <<< venvshim <<<(\r?\n|$)")
HOOK_FILES = {
    "sh": "venvshim.sh",
    "bash": "venvshim.bash",
    "zsh": "venvshim.zsh",
    "fish": "venvshim.fish",
    "pwsh": "venvshim.ps1",
}


@dataclass(frozen=True)
class Target:
    shell: str  # which hook flavour the block sources: a key of HOOK_FILES
    path: Path


@dataclass
class Edit:
    """What installing did to one file: enough to undo it exactly."""

    path: str
    shell: str
    created: bool = False
    added_newline: bool = False
    created_dirs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Edit:
        dirs = data.get("created_dirs")
        return cls(
            path=str(data["path"]),
            shell=str(data["shell"]),
            created=bool(data.get("created")),
            added_newline=bool(data.get("added_newline")),
            created_dirs=[str(d) for d in dirs] if isinstance(dirs, list) else [],
        )


def quote_sh(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def quote_fish(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_ps(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_block(shell: str, *, shim_dir: str, hooks_dir: str, python: str) -> str:
    """The block for one file. `python` runs `-m venvshim.autogc` (pythonw.exe on Windows)."""
    hook = HOOK_FILES[shell]
    note = "# venvshim: keeps its uv shim first on PATH; `venvshim uninstall` removes this block"
    if shell == "fish":
        q = quote_fish
        body = [
            f"set -g VENVSHIM_SHIM_DIR {q(shim_dir)}",
            f"set -g VENVSHIM_HOOKS {q(hooks_dir)}",
            f"set -g VENVSHIM_PYTHON {q(python)}",
            f'if test -f "$VENVSHIM_HOOKS/{hook}"',
            f'    source "$VENVSHIM_HOOKS/{hook}"',
            "end",
        ]
    elif shell == "pwsh":
        q = quote_ps
        body = [
            f"$global:VENVSHIM_SHIM_DIR = {q(shim_dir)}",
            f"$global:VENVSHIM_HOOKS = {q(hooks_dir)}",
            f"$global:VENVSHIM_PYTHONW = {q(python)}",
            f"$__venvshim_hook = Join-Path $global:VENVSHIM_HOOKS '{hook}'",
            "if (Test-Path -LiteralPath $__venvshim_hook) { . $__venvshim_hook }",
        ]
    else:
        q = quote_sh
        # bash: the hook's DEBUG trap (for shells without a prompt) must be set at the rc file's
        # own level, so the block arms it (hooks/venvshim.bash says why); zsh needs no such call.
        arm = " __venvshim_arm;" if shell in ("sh", "bash") else ""
        body = [
            f"VENVSHIM_SHIM_DIR={q(shim_dir)}",
            f"VENVSHIM_HOOKS={q(hooks_dir)}",
            f"VENVSHIM_PYTHON={q(python)}",
            f'if [ -f "$VENVSHIM_HOOKS/{hook}" ]; then . "$VENVSHIM_HOOKS/{hook}";{arm} fi',
        ]
    return "\n".join([BEGIN, note, *body, END]) + "\n"


def posix_targets(env: Mapping[str, str], *, which: Callable[[str], str | None]) -> list[Target]:
    """Every shell that is installed or configured, not only the one running the installer.

    sh: ~/.profile (login shells of every Bourne shell, and what a desktop session reads).
    bash: ~/.bashrc, plus the login file bash reads instead of .profile when one exists.
    zsh: $ZDOTDIR/.zshrc (interactive) and .zprofile (login). fish: conf.d/venvshim.fish.
    """
    home = Path(env["HOME"])
    zdot = Path(env.get("ZDOTDIR") or home)
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    targets = [Target("sh", home / ".profile")]
    if which("bash") or (home / ".bashrc").exists():
        targets.append(Target("bash", home / ".bashrc"))
        for name in (".bash_profile", ".bash_login"):
            if (home / name).exists():
                targets.append(Target("bash", home / name))
                break
    if which("zsh") or (zdot / ".zshrc").exists() or (zdot / ".zprofile").exists():
        targets += [Target("zsh", zdot / ".zshrc"), Target("zsh", zdot / ".zprofile")]
    if which("fish") or (config / "fish").is_dir():
        targets.append(Target("fish", config / "fish" / "conf.d" / "venvshim.fish"))
    return targets


def find_block(data: bytes) -> tuple[int, int] | None:
    """Byte span of the block: from the start of its first line to past its last line's end."""
    begin = _BEGIN_RE.search(data)
    if begin is None:
        return None
    end = _END_RE.search(data, begin.end())
    if end is None:
        raise VenvshimError(
            f"a `{BEGIN}` line has no matching `{END}` line",
            hint="remove the incomplete venvshim block by hand, then run the command again",
        )
    return begin.start(), end.end()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise VenvshimError(
            f"cannot read {path}: {exc.strerror}", hint="fix its permissions and run again"
        ) from exc


def _write(path: Path, data: bytes) -> None:
    """Through a symlink (dotfile managers), keeping the file's mode (0644 for a new one)."""
    write_atomic(path, data, mode=0o644, through_link=True, keep_mode=True)


def _missing_dirs(path: Path) -> list[Path]:
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    return missing  # deepest first


def apply(target: Target, block: str, *, previous: Edit | None, dry_run: bool) -> tuple[Edit, str]:
    """Write the block into one file. Returns the edit to remember and what happened:
    `added`, `updated` or `unchanged` (a second install changes nothing)."""
    path = target.path
    data = _read(path)
    original = data or b""
    # PowerShell profiles keep their CRLF; a POSIX shell would read `\r` as part of each line.
    newline = b"\r\n" if target.shell == "pwsh" and b"\r\n" in original else b"\n"
    encoded = block.encode("utf-8").replace(b"\n", newline)
    span = find_block(original)
    if span is not None:
        start, end = span
        new = original[:start] + encoded + original[end:]
        edit = previous if previous is not None else Edit(str(path), target.shell)
        action = "unchanged" if new == original else "updated"
    else:
        added_newline = bool(original) and not original.endswith(b"\n")
        new = original + (newline if added_newline else b"") + encoded
        created_dirs = _missing_dirs(path) if data is None else []
        edit = Edit(
            str(path),
            target.shell,
            created=data is None,
            added_newline=added_newline,
            created_dirs=[str(d) for d in created_dirs],
        )
        action = "added"
    if action != "unchanged" and not dry_run:
        for directory in reversed(_missing_dirs(path)):
            directory.mkdir()
        _write(path, new)
    return edit, action


def remove(path: Path, edit: Edit | None, *, dry_run: bool) -> str:
    """Take the block out again: `removed`, `deleted` (the file was ours), or `absent`."""
    data = _read(path)
    span = None if data is None else find_block(data)
    if data is None or span is None:
        return "absent"
    start, end = span
    head, tail = data[:start], data[end:]
    if edit is not None and edit.added_newline and not tail:
        if head.endswith(b"\r\n"):
            head = head[:-2]
        elif head.endswith(b"\n"):
            head = head[:-1]
    new = head + tail
    if edit is not None and edit.created and not new:
        if not dry_run:
            path.unlink()
            for directory in edit.created_dirs:
                try:
                    Path(directory).rmdir()
                except OSError:
                    break  # not empty any more: somebody else uses it now
        return "deleted"
    if not dry_run:
        _write(path, new)
    return "removed"
