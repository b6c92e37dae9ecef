"""`uv tool install|upgrade|uninstall`: which tool environments uv will delete or change, and how
each is protected (crates/uv/src/commands/tool/{install,upgrade,uninstall}.rs).

For each tool named (`--all`: every tool in uv's tool dir; a requirement venvshim cannot name,
such as a URL: every tool, as files only) that is installed:
  * WHOLE, the environment is tombstoned with a stub in its place (toolswap.py), when uv deletes
    it: `uninstall`, `install --force`, and `-p/--python` naming another interpreter than the
    environment's own (asked as uv resolves it: `uv python find --system`; not known: WHOLE);
  * FILES otherwise (an in-place upgrade or reinstall): the files of the environment a process
    holds are moved aside (tombstones/files.py), as for any environment. Without a dry-run for
    tools, every dist of the environment counts, so this costs a process scan.
In both cases an entry point in uv's bin dir that a process runs (on Windows a copy of the
`.exe`, which uv overwrites in place; on POSIX a link, never held itself) is moved aside too, and
put back after uv unless uv wrote a new one or the tool is gone.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from ..tombstones import dists

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .uvargs import Invocation

_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$")
RECEIPT = "uv-receipt.toml"
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")


class ToolOp:
    """One installed tool a command may change: `whole` (tombstone it) or files only."""

    __slots__ = ("entry_points", "env_dir", "name", "whole")

    def __init__(self, name: str, env_dir: Path, whole: bool, entry_points: list[Path]) -> None:
        self.name = name
        self.env_dir = env_dir
        self.whole = whole
        self.entry_points = entry_points

    def __repr__(self) -> str:
        return f"ToolOp({self.name}, {'whole' if self.whole else 'files'})"


def requirement_name(spec: str, work: str) -> str | None:
    """The package a `uv tool install SPEC` names, or None when it cannot be told from SPEC."""
    match = _NAME.match(spec)
    if match is not None and match.group(2).startswith("@"):
        return dists.normalize(match.group(1))  # `ruff@0.6`, `ruff @ https://…`
    if "://" in spec or spec.startswith(("git+", ".", "/", "~")) or os.sep in spec or "/" in spec:
        if spec.endswith(".whl"):
            return dists.normalize(os.path.basename(spec).split("-", 1)[0])
        return _project_name(Path(work) / os.path.expanduser(spec) / "pyproject.toml")
    if spec.endswith(_ARCHIVES):
        return dists.normalize(spec.split("-", 1)[0]) if spec.endswith(".whl") else None
    if match is None:
        return None
    rest = match.group(2)
    if rest and not rest.startswith(("=", "<", ">", "!", "~", ";", "(", ",")):
        return None
    return dists.normalize(match.group(1))


def _project_name(pyproject: Path) -> str | None:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    project = _toml(text).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return dists.normalize(name) if isinstance(name, str) and dists.valid_name(name) else None


def _toml(text: str) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def entry_points(env_dir: Path) -> list[Path]:
    """The install paths of the tool's entry points, from its receipt (data: only names)."""
    try:
        doc = _toml((env_dir / "uv-receipt.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []
    tool = doc.get("tool")
    points = tool.get("entrypoints", []) if isinstance(tool, dict) else []
    found: list[Path] = []
    for point in points if isinstance(points, list) else []:
        path = point.get("install-path") if isinstance(point, dict) else None
        if isinstance(path, str) and os.path.isabs(path):
            found.append(Path(path))
    return found


def installed_tools(tool_dir: Path) -> list[str]:
    try:
        names = sorted(os.listdir(tool_dir))
    except OSError:
        return []
    return [n for n in names if dists.valid_name(n) and (tool_dir / n / RECEIPT).is_file()]


def _named(inv: Invocation, work: str, tool_dir: Path) -> list[str] | None:
    """The tools this command names (None: cannot tell, any of them)."""
    if inv.subcommand in ("upgrade", "uninstall") and inv.flag("--all"):
        return installed_tools(tool_dir)
    if inv.subcommand == "install":
        spec = inv.value("--from") or (inv.positionals[0] if inv.positionals else None)
        if spec is None:
            return []
        name = requirement_name(spec, work)
        return None if name is None else [name]
    names = [requirement_name(spec, work) for spec in inv.positionals]
    return None if None in names else [n for n in names if n is not None]


def same_interpreter(real_uv: str, inv: Invocation, env_dir: Path, request: str, *, cwd: str,
                     env: Mapping[str, str]) -> bool | None:  # fmt: skip
    """Does `request` resolve, as `uv tool install -p` resolves it (system interpreters only),
    to the environment's own interpreter? None: cannot tell."""
    import subprocess

    argv = [real_uv, "python", "find", "--system", "--no-project", request]
    for name in ("--python-preference", "--config-file", "--cache-dir", "--directory"):
        if inv.value(name) is not None:
            argv.append(f"{name}={inv.value(name)}")
    argv += [f for f in ("--managed-python", "--no-managed-python", "--no-config") if inv.flag(f)]
    try:
        proc = subprocess.run(
            argv, cwd=cwd, env={**env, "NO_COLOR": "1"}, capture_output=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = proc.stdout.decode("utf-8", "surrogateescape").strip()
    if proc.returncode != 0 or not found or "\n" in found:
        return None
    if sys.platform == "win32":
        home = _cfg_home(env_dir)
        return home is not None and os.path.normcase(home) == os.path.normcase(
            os.path.dirname(found)
        )
    return os.path.realpath(env_dir / "bin" / "python") == os.path.realpath(found)


def _cfg_home(env_dir: Path) -> str | None:
    try:
        lines = (env_dir / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    return None


def plan(
    real_uv: str,
    inv: Invocation,
    *,
    work: str,
    tool_dir: Path,
    env: Mapping[str, str],
    interpreter_check: Callable[[Path, str], bool | None] | None = None,
) -> list[ToolOp]:
    """The installed tools this command may change, and how each is protected."""
    named = _named(inv, work, tool_dir)
    everything = named is None
    names = installed_tools(tool_dir) if named is None else named
    request = inv.value("--python") or env.get("UV_PYTHON")
    ops: list[ToolOp] = []
    for name in dict.fromkeys(names):
        env_dir = tool_dir / name
        if not dists.valid_name(name) or not (env_dir / RECEIPT).is_file():
            continue  # not installed (a new install deletes nothing), or not a tool uv knows
        if env_dir.is_symlink():
            continue  # uv removes the link alone; what it points to is not venvshim's to move
        whole = False
        if not everything:
            deletes = inv.subcommand == "uninstall" or (
                inv.subcommand == "install" and inv.flag("--force")
            )
            if not deletes and request:
                check = interpreter_check or (
                    lambda d, r: same_interpreter(real_uv, inv, d, r, cwd=work, env=env)
                )
                deletes = check(env_dir, request) is not True
            whole = deletes
        ops.append(ToolOp(name, env_dir, whole, entry_points(env_dir)))
    return ops


def receipts_want(tool_dir: Path) -> Callable[[list[str]], set[str]]:
    """For entry points moved out of uv's bin dir: a tool's receipt still names them."""

    def wanted(paths: list[str]) -> set[str]:
        named = {
            os.path.normcase(os.path.realpath(p.parent)) + os.sep + os.path.normcase(p.name)
            for tool in installed_tools(tool_dir)
            for p in entry_points(tool_dir / tool)
        }
        return {p for p in paths if os.path.normcase(p) in named}

    return wanted
