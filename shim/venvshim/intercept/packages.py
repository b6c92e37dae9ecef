"""`uv pip install|uninstall|sync`: which environment, and which dists uv would remove from it.

uv's own dry-run of the very same command answers both: the dists it would uninstall or
reinstall (askuv.read_changes) and, unless it is `./.venv`, the environment (`Using Python …
environment at: …`, crates/uv/src/commands/pip/operations.rs `report_target_environment`).
`uv pip` never replaces an environment, so the Plan is always "keep"; `removes` says that files
in use must be moved aside first (inuse.py).

Only virtual environments are guarded: a system or conda Python, `--target` and `--prefix` are
left to uv (venvshim moves nothing outside an environment it can recognise). A "nothing to remove"
verdict is cached (verdicts.py, fastpath.py) under the argv, the environment's site-packages and
every requirement, constraint and config file, so a repeated no-op `uv pip install x` never starts
Python; never for `--upgrade`/`--reinstall`, whose answer depends on the index.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import askuv, decision, uvargs
from .decision import KEEP
from .plans import Plan

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..platform.posix import StderrReader
    from ..state import StateRoot
    from .uvargs import Invocation

# Options naming files whose content changes what uv installs (and the variables that do).
FILE_OPTIONS = (
    "--requirements", "--constraints", "--overrides", "--excludes", "--build-constraints",
    "-b", "-c", "-r",
)  # fmt: skip
FILE_VARIABLES = ("UV_CONSTRAINT", "UV_OVERRIDE", "UV_EXCLUDE", "UV_BUILD_CONSTRAINT")


def is_venv(path: Path) -> bool:
    python = ("Scripts/python.exe",) if sys.platform == "win32" else ("bin/python", "bin/python3")
    return (path / "pyvenv.cfg").is_file() and any(os.path.lexists(path / p) for p in python)


def _named_env(inv: Invocation, work: str, env: Mapping[str, str]) -> Path | None:
    """The env uv did not name: `--python` (a directory, or an interpreter in one), else
    VIRTUAL_ENV, else `./.venv` (uv names every other: report_target_environment)."""
    given = inv.value("--python") or inv.value("-p") or env.get("UV_PYTHON")
    candidates: list[Path] = []
    if given and (os.sep in given or "/" in given):
        path = Path(work) / given
        candidates += [path, path.parent.parent] if path.is_file() else [path]
    if env.get("VIRTUAL_ENV"):
        candidates.append(Path(work) / env["VIRTUAL_ENV"])
    candidates.append(Path(work) / ".venv")
    return next((c for c in candidates if is_venv(c)), None)


def watched(inv: Invocation, *, cwd: Path, env: Mapping[str, str], env_dir: Path) -> list[Path]:
    """The files whose change can change what this `uv pip` command would remove."""
    from . import project

    work = Path(uvargs.working_dir(inv, cwd=str(cwd), env=env))
    paths = project.watched_paths(inv, cwd=cwd, env=env, env_dir=env_dir)
    for name in FILE_OPTIONS:
        paths += [work / v for v in inv.options.get(name, ()) if v]
    for name in FILE_VARIABLES:
        paths += [work / v for v in env.get(name, "").split() if v]
    paths += [work / p for p in inv.positionals if (work / p).exists()]  # `pip sync req.txt`
    for directory in (work, *work.parents):
        paths.append(directory / ".venv")  # discovery: a new .venv nearer would be the target
    return paths


def plan(
    real_uv: str,
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    pwd: str | None = None,
    early: StderrReader | None = None,
) -> Plan:
    from . import fastpath, verdicts

    def for_front_end(watched: Sequence[Path]) -> None:
        if pwd is not None:
            fastpath.record_for_front_end(
                state.home, pwd=pwd, cwd=cwd, argv=inv.argv, env=env, real_uv=real_uv,
                watched=watched,
            )  # fmt: skip

    key = verdicts.cache_key(inv, cwd=cwd, env=env, real_uv=real_uv)
    cached = verdicts.lookup(state.cache, key)
    if cached is not None:
        if early is not None:
            early.stop()
        for_front_end(cached.watched)
        return Plan(KEEP, "cached", env_path=cached.env_path, cache_key=key)
    argv = [real_uv, *decision.dry_run_argv(inv, cwd=str(cwd), env=env)]
    if early is not None:
        lines = [raw.decode("utf-8", "replace") for raw in early.stream]
        code = early.finish()
    else:
        lines, code = askuv.run_to_end(argv, cwd=cwd, env=env)
    changes = askuv.read_changes(lines, code)
    work = uvargs.working_dir(inv, cwd=str(cwd), env=env)
    shown = askuv.pip_env(lines)
    env_path = Path(work) / shown if shown is not None else _named_env(inv, work, env)
    if env_path is None or not is_venv(env_path):
        if changes is None or changes.removed:
            print(
                "warning: venvshim: not a virtual environment venvshim can guard "
                f"(`{shown or 'unknown'}`): files in use there are left to uv",
                file=sys.stderr,
            )
        return Plan(KEEP, "not a venv", env_path=env_path, changes=changes)
    if changes is not None and not changes.removed:
        from .uvoptions import index_dependent

        if not index_dependent(inv):
            files = [*watched(inv, cwd=cwd, env=env, env_dir=env_path), Path(real_uv)]
            if verdicts.store(state.cache, key, env_path, files):
                for_front_end(files)
        return Plan(KEEP, "nothing to remove", env_path=env_path, cache_key=key, changes=changes)
    return Plan(KEEP, "removes", env_path=env_path, removes=True, changes=changes)
