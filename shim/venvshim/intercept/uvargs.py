"""Parse uv's argv the way uv's clap grammar does, far enough to know what a command will touch,
and where it works (the one owner of `--directory`/`--project`/UV_WORKING_DIR/UV_PROJECT).

Imported on the shim's hot path: standard library only, no dataclasses (which pull in `inspect`).
The option tables come from `uv <cmd> --help` of uv 0.13.9; tests/unit/test_uvargs.py checks them
against the real uv so a new uv release that adds a value-taking option is noticed.
"""

from __future__ import annotations

import os

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .uvfacts import Facts

# Every subcommand of uv 0.13 (`uv help`), and aliases. Which of them may replace an
# environment is decision.INTERCEPTED's to say.
ALIASES = {"v": "venv", "virtualenv": "venv"}
SUBCOMMANDS = frozenset(
    {"auth", "run", "init", "add", "remove", "version", "sync", "lock", "export", "tree",
     "format", "check", "audit", "tool", "python", "pip", "venv", "build", "publish",
     "workspace", "cache", "self", "generate-shell-completion", "help", *ALIASES}
)  # fmt: skip
# The subcommands of `uv tool` and `uv pip` (aliases included): the sh front end reads one word
# further for these (frontend.py); which may delete files is decision.NESTED_INTERCEPTED's.
NESTED_SUBCOMMANDS = {
    "tool": frozenset(
        {"run", "install", "upgrade", "list", "ls", "audit", "uninstall", "update-shell", "dir",
         "help"}
    ),
    "pip": frozenset(
        {"compile", "sync", "install", "uninstall", "freeze", "list", "ls", "show", "tree",
         "check", "help"}
    ),
}  # fmt: skip

# Global options taking a value; visible ones from `uv --help`, hidden ones from uv's source.
GLOBAL_VALUE = frozenset(
    {
        "--cache-dir",
        "--color",
        "--allow-insecure-host",
        "--trusted-host",
        "--directory",
        "--project",
        "--config-file",
        "--python-preference",
        "--python-fetch",
        "--preview-features",
        "--preview-feature",
    }
)

_COMMON = frozenset(
    {
        "--config-setting", "--config-settings-package", "--default-index", "--exclude-newer",
        "--exclude-newer-package", "--extra-index-url", "--find-links", "--fork-strategy",
        "--index", "--index-strategy", "--index-url", "--keyring-provider", "--link-mode",
        "--no-binary-package", "--no-build-isolation-package", "--no-build-package",
        "--no-sources-package", "--package", "--prerelease", "--prerelease-package", "--python",
        "--refresh-package", "--reinstall-package", "--resolution", "--upgrade-group",
        "--upgrade-package", "-C", "-P", "-f", "-i", "-p",
    }
)  # fmt: skip
_GROUPS = frozenset({"--extra", "--group", "--no-extra", "--no-group", "--only-group"})
_PIP = frozenset(
    {"--build-constraints", "--cert", "--config-setting", "--config-settings-package",
     "--constraints", "--default-index", "--exclude-newer", "--extra", "--extra-index-url",
     "--find-links", "--group", "--index", "--index-strategy", "--index-url",
     "--keyring-provider", "--link-mode", "--no-binary", "--no-sources-package",
     "--only-binary", "--output-format", "--prefix", "--prerelease", "--python",
     "--python-platform", "--python-version", "--refresh-package", "--resolution", "--target",
     "--torch-backend", "-C", "-b", "-c", "-f", "-i", "-p", "-t"}
)  # fmt: skip


# Subcommand-specific options taking a value (globals are accepted everywhere too).
VALUE = {
    "run": _COMMON
    | _GROUPS
    | {"--env-file", "--no-editable-package", "--python-platform", "--with", "--with-editable",
       "--with-requirements", "-w"},
    "sync": _COMMON
    | _GROUPS
    | {"--no-editable-package", "--no-install-package", "--output-format", "--python-platform",
       "--script"},
    "add": _COMMON
    | {"--bounds", "--branch", "--constraints", "--extra", "--group", "--marker",
       "--no-install-package", "--optional", "--requirements", "--rev", "--script", "--tag",
       "-c", "-m", "-r"},
    "remove": _COMMON | {"--group", "--optional", "--script"},
    "version": _COMMON | {"--bump", "--output-format"},
    "venv": frozenset(
        {"--default-index", "--exclude-newer", "--exclude-newer-package", "--extra-index-url",
         "--find-links", "--index", "--index-strategy", "--index-url", "--keyring-provider",
         "--link-mode", "--prompt", "--python", "--refresh-package", "-f", "-i", "-p"}
    ),
    "check": _COMMON | _GROUPS | {"--script", "--ty-version"},
    "tool install": _COMMON
    | {"--build-constraints", "--constraints", "--excludes", "--overrides", "--python-platform",
       "--torch-backend", "--with", "--with-editable", "--with-executables-from",
       "--with-requirements", "-b", "-c", "-w"},
    "tool upgrade": _COMMON | {"--config-setting-package", "--python-platform"},
    "tool uninstall": frozenset(),
    "pip install": _PIP
    | {"--exclude-newer-package", "--excludes", "--fork-strategy", "--no-build-isolation-package",
       "--no-editable-package", "--overrides", "--prerelease-package", "--upgrade-group",
       "--upgrade-package", "--reinstall-package", "--requirements", "--editable", "-P", "-e",
       "-r"},
    "pip uninstall": frozenset({"--cert", "--keyring-provider", "--prefix", "--python",
                                "--requirements", "--target", "-p", "-r", "-t"}),
    "pip sync": _PIP | {"--exclude-newer-package", "--reinstall-package"},
}  # fmt: skip
# Short flags we need to recognise, per subcommand ("*" = every subcommand).
SHORT_NAMES = {
    "*": {"p": "--python", "q": "--quiet", "v": "--verbose", "n": "--no-cache", "h": "--help",
          "V": "--version", "U": "--upgrade"},
    "run": {"m": "--module", "s": "--script", "w": "--with"},
    "venv": {"c": "--clear"},
    "add": {"c": "--constraints", "m": "--marker", "r": "--requirements"},
    "pip install": {"r": "--requirements", "c": "--constraints", "e": "--editable",
                    "t": "--target"},
    "pip uninstall": {"r": "--requirements", "t": "--target"},
    "pip sync": {"c": "--constraints", "t": "--target"},
    "tool install": {"c": "--constraints", "w": "--with", "e": "--editable"},
}  # fmt: skip

_TRUE = frozenset({"1", "true", "yes", "y", "on", "t"})
# The working-directory variables of the newest uv, in the order it reads them (uvfacts.TABLE).
WORKING_DIR_ENV = ("UV_WORKING_DIR", "UV_WORKING_DIRECTORY")


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """clap's BoolishValueParser, as uv reads boolean env vars."""
    return env.get(name, "").strip().lower() in _TRUE


def active_env(inv: Invocation, env: Mapping[str, str]) -> str | None:
    """The VIRTUAL_ENV uv is asked to use (`--active` or UV_ACTIVE), as given, else None."""
    if inv.flag("--active") or env_flag(env, "UV_ACTIVE"):
        return env.get("VIRTUAL_ENV") or None
    return None


class Invocation:
    """What uv will be asked to do. `options` maps a long option name to its values, in order
    (None for a flag)."""

    __slots__ = ("argv", "command", "options", "positionals", "run_command", "sub_at", "subcommand")

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.command: str | None = None
        self.subcommand: str | None = None  # `tool install`, `pip sync`, ...: the second word
        self.sub_at = -1  # its index in argv
        self.options: dict[str, list[str | None]] = {}
        self.positionals: list[str] = []
        self.run_command: list[str] = []

    def flag(self, *names: str) -> bool:
        return any(n in self.options for n in names)

    def value(self, name: str) -> str | None:
        """The last value given for an option (uv: the last occurrence wins)."""
        values = [v for v in self.options.get(name, ()) if v is not None]
        return values[-1] if values else None

    @property
    def key(self) -> str | None:
        """`sync`, or for a nested subcommand `tool install`: how the tables name it."""
        if self.subcommand is not None:
            return f"{self.command} {self.subcommand}"
        return self.command

    def __repr__(self) -> str:
        return f"Invocation({self.key!r}, {self.options!r}, {self.positionals!r})"


def _value_options(key: str | None) -> frozenset[str]:
    if key is None:
        return GLOBAL_VALUE
    return GLOBAL_VALUE | VALUE.get(key, frozenset())


def parse(argv: Sequence[str]) -> Invocation:
    """Parse uv's arguments (without argv[0]).

    Only subcommands with an option table (VALUE, `tool install` and the like for the nested
    ones) are parsed past their name; for others `command` (and `subcommand`) is set and nothing
    more is needed.
    """
    inv = Invocation(argv)
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            # Everything after `--` is positional (for `run`, the command).
            rest = args[i:]
            if inv.command == "run":
                inv.run_command = rest
            else:
                inv.positionals.extend(rest)
            return inv
        if arg.startswith("--") and len(arg) > 2:
            name, eq, val = arg.partition("=")
            if eq:
                inv.options.setdefault(name, []).append(val)
            elif name in _value_options(inv.key):
                value = args[i] if i < len(args) else None
                i += 1
                inv.options.setdefault(name, []).append(value)
            else:
                inv.options.setdefault(name, []).append(None)
            continue
        if arg.startswith("-") and len(arg) > 1:
            i = _parse_short_cluster(inv, arg, args, i)
            continue
        # A positional.
        if inv.command is None:
            inv.command = ALIASES.get(arg, arg)
            if inv.command not in VALUE and inv.command not in NESTED_SUBCOMMANDS:
                inv.positionals = args[i:]
                return inv
            continue
        if inv.command in NESTED_SUBCOMMANDS and inv.subcommand is None:
            inv.subcommand, inv.sub_at = arg, i - 1
            if inv.key not in VALUE:
                inv.positionals = args[i:]
                return inv
            continue
        if inv.command == "run":
            inv.run_command = args[i - 1 :]
            return inv
        inv.positionals.append(arg)
    return inv


def _parse_short_cluster(inv: Invocation, arg: str, args: list[str], i: int) -> int:
    """`-qv`, `-p3.11`, `-p 3.11`, `-qp3.11`: clap's short-option clusters."""
    values = _value_options(inv.key)
    names = {**SHORT_NAMES["*"], **SHORT_NAMES.get(inv.key or "", {})}
    for pos in range(1, len(arg)):
        letter = arg[pos]
        long_name = names.get(letter, "-" + letter)
        if "-" + letter in values:
            rest = arg[pos + 1 :]
            if rest.startswith("="):
                rest = rest[1:]
            if rest:
                inv.options.setdefault(long_name, []).append(rest)
            else:
                inv.options.setdefault(long_name, []).append(args[i] if i < len(args) else None)
                i += 1
            return i
        inv.options.setdefault(long_name, []).append(None)
    return i


def no_sync(inv: Invocation, env: Mapping[str, str]) -> bool:
    return inv.flag("--no-sync") or env_flag(env, "UV_NO_SYNC")


def run_script_path(inv: Invocation, cwd: str) -> str | None:
    """For `uv run path/to/x.py` (or `--script F`, `--gui-script F`), the script file."""
    if inv.command != "run" or inv.flag("--module"):
        return None
    target = inv.value("--script") or inv.value("--gui-script")
    if target is None:
        if not inv.run_command or not inv.run_command[0].endswith((".py", ".pyw", ".pyc")):
            return None
        target = inv.run_command[0]
    path = os.path.join(cwd, target)
    return path if os.path.isfile(path) else None


def inline_script(
    inv: Invocation, *, cwd: str, env: Mapping[str, str], facts: Facts | None = None
) -> bool:
    """`uv run x.py` of a script with inline metadata (PEP 723): it runs in a script
    environment of its own, never the project's."""
    script = run_script_path(inv, working_dir(inv, cwd=cwd, env=env, facts=facts))
    if script is None:
        return False
    try:
        with open(script, encoding="utf-8", errors="replace") as fh:
            return any(line.rstrip() == "# /// script" for line in fh)
    except OSError:
        return False


def working_dir(
    inv: Invocation, *, cwd: str, env: Mapping[str, str], facts: Facts | None = None
) -> str:
    """Where uv works: `--directory`, else the working-directory variable this uv reads
    (UV_WORKING_DIR since 0.9.14, UV_WORKING_DIRECTORY since 0.9.1; uvfacts)."""
    names = facts.working_dir_env if facts is not None else WORKING_DIR_ENV
    base = inv.value("--directory") or next((env[n] for n in names if env.get(n)), None)
    return os.path.join(cwd, base) if base else cwd


def script_project(
    inv: Invocation, *, cwd: str, env: Mapping[str, str], facts: Facts | None = None
) -> str | None:
    """`uv run path/x.py` discovers the project from the script's directory (uv 0.12+)."""
    if facts is not None and not facts.script_dir_project:
        return None
    script = run_script_path(inv, working_dir(inv, cwd=cwd, env=env, facts=facts))
    return os.path.dirname(script) if script else None


def start_dir(
    inv: Invocation, *, cwd: str, env: Mapping[str, str], facts: Facts | None = None
) -> str:
    """The directory uv discovers the project from: `--project` (or UV_PROJECT, since 0.6.11),
    relative to where uv works, else a `uv run path/x.py` script's directory (since 0.12),
    else where uv works."""
    work = working_dir(inv, cwd=cwd, env=env, facts=facts)
    project = inv.value("--project")
    if project is None and (facts is None or facts.project_env):
        project = env.get("UV_PROJECT") or None
    if project:
        return os.path.join(work, project)
    script = script_project(inv, cwd=cwd, env=env, facts=facts)
    return script if script is not None else work
