"""Which environment a uv command targets, and which files can change uv's verdict on it.

Only used on the shim's slow path (a fingerprint miss): it parses TOML.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import uvargs
from .uvargs import Invocation

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .uvfacts import Facts

VERSION_FILES = (".python-version", ".python-versions")
CONFIG_FILES = ("pyproject.toml", "uv.toml")


def _load_workspace_toml(path: Path) -> dict[str, Any]:
    """The parsed pyproject.toml, or {} when it cannot declare a workspace: every TOML spelling
    of `tool.uv.workspace` contains the word, and skipping the parse spares importing tomllib
    (~6 ms) for the common single-project case."""
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    if b"workspace" not in raw:
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        doc: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return doc


def _workspace_table(doc: dict[str, Any]) -> dict[str, Any] | None:
    ws = doc.get("tool", {}).get("uv", {}).get("workspace")
    return ws if isinstance(ws, dict) else None


def _is_member(root: Path, table: dict[str, Any], project: Path) -> bool:
    import fnmatch

    if project == root:
        return True
    rel = project.relative_to(root).as_posix()
    members = [m for m in table.get("members", []) if isinstance(m, str)]
    excludes = [e for e in table.get("exclude", []) if isinstance(e, str)]
    matched = any(fnmatch.fnmatchcase(rel, m.rstrip("/")) for m in members)
    return matched and not any(fnmatch.fnmatchcase(rel, e.rstrip("/")) for e in excludes)


class Project:
    """A project as uv finds it: its own directory and its workspace root."""

    __slots__ = ("member_dirs", "project_dir", "workspace_root")

    def __init__(self, project_dir: Path, workspace_root: Path, member_dirs: list[Path]) -> None:
        self.project_dir = project_dir
        self.workspace_root = workspace_root
        self.member_dirs = member_dirs


def discover(start: Path) -> Project | None:
    """Nearest `pyproject.toml` at or above `start`, then the workspace that includes it."""
    start = start.resolve()
    project_dir = next(
        (d for d in (start, *start.parents) if (d / "pyproject.toml").is_file()), None
    )
    if project_dir is None:
        return None
    for candidate in (project_dir, *project_dir.parents):
        pyproject = candidate / "pyproject.toml"
        if not pyproject.is_file():
            continue
        table = _workspace_table(_load_workspace_toml(pyproject))
        if table is not None and _is_member(candidate, table, project_dir):
            return Project(project_dir, candidate, _members(candidate, table))
    return Project(project_dir, project_dir, [])


def _members(root: Path, table: dict[str, Any]) -> list[Path]:
    import glob

    found: list[Path] = []
    for pattern in table.get("members", []):
        if isinstance(pattern, str):
            found.extend(
                Path(p) for p in sorted(glob.glob(str(root / pattern))) if Path(p).is_dir()
            )
    return found


def start_dir(
    inv: Invocation, *, cwd: Path, env: Mapping[str, str], facts: Facts | None = None
) -> Path:
    """The directory uv discovers the project from (uvargs.start_dir)."""
    return Path(uvargs.start_dir(inv, cwd=str(cwd), env=env, facts=facts))


def working_dir(
    inv: Invocation, *, cwd: Path, env: Mapping[str, str], facts: Facts | None = None
) -> Path:
    """Where uv works (uvargs.working_dir)."""
    return Path(uvargs.working_dir(inv, cwd=str(cwd), env=env, facts=facts))


def project_env_dir(project: Project, env: Mapping[str, str]) -> Path:
    explicit = env.get("UV_PROJECT_ENVIRONMENT")
    if explicit:
        return project.workspace_root / explicit  # absolute paths replace the root
    return project.workspace_root / ".venv"


def target_env_dir(
    inv: Invocation, *, cwd: Path, env: Mapping[str, str], facts: Facts | None = None
) -> Path | None:
    """The environment directory this command would replace (None: no project, nothing to do)."""
    work = working_dir(inv, cwd=cwd, env=env, facts=facts)
    if inv.command == "venv":
        # uv venv: explicit path, else the project env only at the workspace root, else ./.venv
        # (crates/uv/src/commands/venv.rs, "Only use the project environment path if ...").
        if inv.positionals:
            return work / inv.positionals[0]
        project_opt = inv.value("--project")
        if project_opt is None and (facts is None or facts.project_env):
            project_opt = env.get("UV_PROJECT") or None
        project_dir = (work / project_opt if project_opt else work).resolve()
        project = None if inv.flag("--no-project") else discover(project_dir)
        if project is not None and project.workspace_root == project_dir:
            return project_env_dir(project, env)
        return work / ".venv"
    active = uvargs.active_env(inv, env)
    if active is not None:
        return work / active  # relative: to where uv works
    project = discover(start_dir(inv, cwd=cwd, env=env, facts=facts))
    return None if project is None else project_env_dir(project, env)


def watched_paths(
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    env_dir: Path,
    facts: Facts | None = None,
) -> list[Path]:
    """Every file whose change (or appearance) can change uv's verdict on `env_dir`, or which
    dists a sync would remove from it (its site-packages directories, `uv.lock`).

    Version and config files are watched from the discovery start up to the filesystem root
    (absent ones too: creating one changes the verdict), workspace members' `pyproject.toml`
    and the directories their globs expand in (a new member changes `requires-python`).
    """
    paths: list[Path] = [env_dir, env_dir / "pyvenv.cfg", env_dir / "bin" / "python",
                         env_dir / "Scripts" / "python.exe"]  # fmt: skip
    start = start_dir(inv, cwd=cwd, env=env, facts=facts).resolve()
    for directory in (start, *start.parents):
        paths.extend(directory / name for name in (*VERSION_FILES, *CONFIG_FILES))
    project = discover(start)
    if project is not None:
        paths.append(project.workspace_root / "uv.lock")  # what `sync` installs
        for member in project.member_dirs:
            paths.extend((member, member / "pyproject.toml", *(member / v for v in VERSION_FILES)))
            paths.append(member.parent)
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    paths.extend(Path(config_home) / "uv" / name for name in (*VERSION_FILES, "uv.toml"))
    if env.get("APPDATA"):
        paths.extend(Path(env["APPDATA"]) / "uv" / name for name in (*VERSION_FILES, "uv.toml"))
    for config_dir in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep):
        paths.append(Path(config_dir) / "uv" / "uv.toml")
    paths.append(Path("/etc/uv/uv.toml"))
    config_file = inv.value("--config-file") or env.get("UV_CONFIG_FILE")
    if config_file:
        paths.append(working_dir(inv, cwd=cwd, env=env, facts=facts) / config_file)
    from ..tombstones.dists import site_packages

    return [*paths, *site_packages(env_dir)]
