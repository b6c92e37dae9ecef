"""Will uv replace this environment, or delete files in it? The one owner of those questions:
argv in, a Plan out.

In order, each step only when the previous one could not answer:
  1. `in_scope`: can this command replace an environment or delete files in one at all (argv and
     environment only; on the shim's hot path, so this module imports nothing heavy at load);
  2. `locate`: which environment it targets (project.py), and the fingerprint of the question;
  3. a cached "keep" verdict still valid for that fingerprint (verdicts.py);
  4. the state of the directory (envstate.py): a uv remnant is always replaced, a missing or
     foreign one never (uv creates the one and reports the other);
  5. facts of uv's release (uvfacts.py): `uv venv` without `--clear`, `run --no-sync`, ...;
  6. uv's own answer (askuv.py: `uv sync --dry-run`, read in the wording of that release);
  7. an answer in no wording (askuv.python_find): the interpreter uv resolves for the request;
  8. none of these could tell: protect. The env is moved aside anyway ("unsure") and put back
     if uv builds nothing. Refusing would stop every command of a uv venvshim cannot read;
     passing through would be failing open; a needless swap costs a rebuild from uv's cache.
When uv keeps the environment, the Plan says whether dists in it may go (files in use are then
moved aside: tombstones/files.py): `sync`/`run` read the same dry-run to its end (`changes`),
`add`/`remove`/`version`/`check` have none (any dist may go). packages.py plans `uv pip`, tools.py
`uv tool`. The swap (swap.py) acts on the Plan and never decides again.
"""

from __future__ import annotations

import os

from . import uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from ..platform.posix import StderrReader
    from ..state import StateRoot
    from .askuv import Changes
    from .envstate import EnvState
    from .plans import Plan, Target
    from .uvargs import Invocation
    from .uvfacts import Facts

REPLACE = "replace"
KEEP = "keep"
INTERCEPTED = frozenset({"sync", "run", "add", "remove", "version", "venv", "check"})
# Subcommands of `tool` and `pip` that may delete files in an environment.
NESTED_INTERCEPTED = {
    "tool": frozenset({"install", "upgrade", "uninstall"}),
    "pip": frozenset({"install", "uninstall", "sync"}),
}
PIP_CHANGES = frozenset(f"pip {sub}" for sub in NESTED_INTERCEPTED["pip"])
TOOL_CHANGES = frozenset(f"tool {sub}" for sub in NESTED_INTERCEPTED["tool"])
SYNCS_BLIND = frozenset({"add", "remove", "version", "check"})  # no dry-run: any dist may go

# Options (long names) that change which env uv picks or whether it keeps it: forwarded to the
# `uv sync --dry-run` that decides, and part of the decision's fingerprint.
DECISION_VALUE_OPTIONS = (
    "--python", "--directory", "--project", "--config-file", "--python-preference",
    "--preview-features", "--preview-feature", "--cache-dir", "--python-fetch", "--package",
)  # fmt: skip
DECISION_FLAGS = (
    "--no-config", "--managed-python", "--no-managed-python", "--preview", "--no-preview",
    "--active", "--no-active", "--offline", "--no-python-downloads", "--all-packages",
)  # fmt: skip
# Non-UV_ variables that change discovery; every UV_* variable is part of the fingerprint too.
DECISION_ENV = (
    "PATH", "HOME", "VIRTUAL_ENV", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "APPDATA",
    "LOCALAPPDATA", "PYENV_VERSION", "CONDA_PREFIX",
)  # fmt: skip


def in_scope(inv: Invocation, env: Mapping[str, str]) -> bool:
    """Could this uv command replace an environment or delete files in one? False means:
    certainly not. Mirrors uv's commands (crates/uv/src/commands: project, pip, tool). `venv` is
    always in scope: whether it wipes an env without `--clear` depends on uv's release."""
    cmd = inv.command
    if inv.flag("--help", "--version"):
        return False
    if inv.key in TOOL_CHANGES:
        return True
    if inv.key in PIP_CHANGES:
        # --target/--prefix install into a plain directory, not an environment venvshim guards.
        return not inv.flag("--dry-run", "--check", "--target", "--prefix")
    if cmd not in INTERCEPTED:
        return False
    no_sync = uvargs.no_sync(inv, env)
    frozen = inv.flag("--frozen") or uvargs.env_flag(env, "UV_FROZEN")
    dry_run = inv.flag("--dry-run")
    if cmd == "sync":
        return not (dry_run or inv.flag("--check") or inv.flag("--script"))
    if cmd == "check":
        return not (dry_run or inv.flag("--script"))
    if cmd == "run":
        # `--no-sync` still replaces an env uv cannot open (decided in step 4); `--script F`
        # replaces the project env when F has no inline metadata (decided in `locate`).
        if inv.flag("--no-project", "--isolated"):
            return False
        return not (uvargs.env_flag(env, "UV_NO_PROJECT") or uvargs.env_flag(env, "UV_ISOLATED"))
    if cmd in ("add", "remove"):
        return not (no_sync or frozen or dry_run or inv.flag("--script"))
    if cmd == "version":
        writes = inv.flag("--bump") or bool(inv.positionals)
        return writes and not (no_sync or frozen or dry_run)
    return cmd == "venv"


def asks_uv(inv: Invocation, env: Mapping[str, str]) -> bool:
    """Is step 6 (uv's dry-run) how this command is decided? entry.py starts it early."""
    if inv.command == "run" and uvargs.no_sync(inv, env):
        return False
    return inv.key in PIP_CHANGES or inv.command in INTERCEPTED - {"venv"}


def reads_changes(inv: Invocation, env: Mapping[str, str]) -> bool:
    """Is the dry-run read to its end, for the dists uv would remove?"""
    return inv.command in ("sync", "run") and not uvargs.no_sync(inv, env)


def dry_run_argv(
    inv: Invocation, *, cwd: str, env: Mapping[str, str], facts: Facts | None = None
) -> list[str]:
    """`sync --dry-run` with the arguments that decide the env (all of `sync`'s own when its
    changes are read too); for `pip`, the command itself with `--dry-run`."""
    if inv.key in PIP_CHANGES:
        from .uvoptions import pip_dry_run

        return pip_dry_run(inv)
    args = ["sync", "--dry-run"]
    if reads_changes(inv, env):
        from .uvoptions import SYNC_FORWARD, forward

        args += forward(inv, SYNC_FORWARD, "sync")
        if inv.command == "run" and not inv.flag("--exact"):
            args.append("--inexact")  # `uv run` keeps extraneous dists
    else:
        args += [f"{n}={inv.value(n)}" for n in DECISION_VALUE_OPTIONS if inv.value(n) is not None]
        args += [flag for flag in DECISION_FLAGS if inv.flag(flag)]
    script_project = uvargs.script_project(inv, cwd=cwd, env=env, facts=facts)
    if script_project is not None and inv.value("--project") is None:
        args.append(f"--project={script_project}")
    return args


def dry_run_env(env: Mapping[str, str]) -> dict[str, str]:
    child = {**env, "UV_NO_PROGRESS": "1", "NO_COLOR": "1"}
    child.pop("UV_FROZEN", None)  # never changes the env decision, but can fail a dry-run
    return child


def locate(
    real_uv: str, inv: Invocation, *, cwd: Path, env: Mapping[str, str], facts: Facts
) -> Target | None:
    """Steps 1-2: None when this command cannot replace an env (or there is no project)."""
    from . import guard, project, verdicts
    from .plans import Target

    if not in_scope(inv, env):
        return None
    if uvargs.inline_script(inv, cwd=str(cwd), env=env, facts=facts):
        guard.refuse_data_loss(inv, cwd=cwd, env=env, facts=facts)
        return None
    try:
        env_path = project.target_env_dir(inv, cwd=cwd, env=env, facts=facts)
    except (OSError, RuntimeError):  # a link loop, an unreadable parent: uv reports it
        return None
    if env_path is None:
        return None
    return Target(env_path, verdicts.cache_key(inv, cwd=cwd, env=env, real_uv=real_uv))


def plan(
    real_uv: str,
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    pwd: str | None = None,
    early: StderrReader | None = None,
    target: Target | None = None,
    facts: Facts | None = None,
) -> Plan:
    """Steps 3-8 for `target` (located here when not given). A "keep" verdict is cached for
    Python, and for the sh front end when `pwd` (the shell's $PWD, the key sh looks up) is given.
    `early`: this command's dry-run, already started (entry.py); used or stopped here."""
    from . import uvfacts
    from .plans import Plan

    try:
        if facts is None:
            facts = uvfacts.facts_for(real_uv, state.cache)
        if target is None:
            target = locate(real_uv, inv, cwd=cwd, env=env, facts=facts)
        if target is None:
            return Plan(KEEP, "out of scope")
        return _plan(
            real_uv, inv, target, cwd=cwd, env=env, state=state, pwd=pwd, early=early, facts=facts
        )
    finally:
        if early is not None and not early.stream.closed:
            early.stop()


def _plan(
    real_uv: str,
    inv: Invocation,
    target: Target,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    pwd: str | None,
    early: StderrReader | None,
    facts: Facts,
) -> Plan:
    from pathlib import Path

    from . import envstate, fastpath, project, uvoptions, verdicts
    from .plans import Plan

    def tell_sh(watched: list[Path]) -> None:
        if pwd is not None:
            fastpath.record_for_front_end(
                state.home,
                pwd=pwd,
                cwd=cwd,
                argv=inv.argv,
                env=env,
                real_uv=real_uv,
                watched=watched,
            )

    blind = inv.command in SYNCS_BLIND  # never a cached verdict: any dist may go
    cached = None if blind else verdicts.lookup(state.cache, target.key)
    if cached is not None:
        tell_sh(cached.watched)
        return Plan(KEEP, "cached", env_path=cached.env_path, cache_key=target.key)
    current = envstate.classify(target.env_path, redirect_files=facts.redirect_files)
    action, reason, uv_path, said, changes = _decide(
        real_uv, inv, current, cwd=cwd, env=env, early=early, facts=facts
    )
    env_path = target.env_path
    moved = uv_path is not None and not _same_place(uv_path, current.real_dir)
    if uv_path is not None and moved and _centralized(uv_path) and current.kind == envstate.VENV:
        # Preview `centralized-project-envs` (0.11.25+): uv keeps the env in its cache and
        # deletes a real local `.venv` to put a link there, whatever its dry-run says about
        # the cached one.
        if not os.path.islink(target.env_path):
            action, reason = REPLACE, "replaced by a link to uv's cache"
    elif uv_path is not None and moved and (reason == "replace" or uv_path.exists()):
        current = envstate.classify(uv_path, redirect_files=facts.redirect_files)
        env_path = uv_path  # uv knows where its env is
    if action == REPLACE and os.path.islink(current.path) and not facts.symlink_target_replaced:
        # uv before 0.8.1 removes the link and builds a new directory: the old env, where the
        # link pointed, is left untouched.
        action, reason = KEEP, "uv replaces only the link"
    if action == REPLACE and current.kind in (envstate.VENV, envstate.REMNANT):
        return Plan(REPLACE, reason, env_path=env_path, current=current, said=said)
    if action == REPLACE:
        reason = current.kind
    named = changes is None or bool(changes.removed)  # a sync's dists: its dry-run names them
    may_go = blind or (reads_changes(inv, env) and reason == "use" and named)
    removes = may_go and current.kind == envstate.VENV and reason in ("use", "same interpreter")
    cacheable = not blind and not removes and not uvoptions.index_dependent(inv)
    if cacheable and reason in ("use", "create", "same interpreter"):
        watched = project.watched_paths(inv, cwd=cwd, env=env, env_dir=env_path, facts=facts)
        watched.append(Path(real_uv))
        if verdicts.store(state.cache, target.key, env_path, watched):
            tell_sh(watched)
    return Plan(KEEP, reason, env_path=env_path, current=current, cache_key=target.key,
                removes=removes, changes=changes)  # fmt: skip


def _centralized(path: Path) -> bool:
    """An environment in uv's cache (`environments-v2/…`), where centralized envs live."""
    return "environments-v2" in path.parts


def _same_place(shown: Path, real_dir: Path) -> bool:
    """Does uv's printed path name `real_dir`? uv prints non-UTF-8 bytes lossily."""
    lossy = os.fsencode(os.path.realpath(real_dir)).decode("utf-8", "replace")
    return os.path.realpath(shown) in (os.path.realpath(real_dir), lossy)


def _decide(
    real_uv: str,
    inv: Invocation,
    current: EnvState,
    *,
    cwd: Path,
    env: Mapping[str, str],
    early: StderrReader | None,
    facts: Facts,
) -> tuple[str, str, Path | None, str, Changes | None]:
    """(action, reason, the env path uv named or None, what uv said, the changes it would make
    to the env it keeps: None when unknown or not asked) for steps 4-8."""
    from . import askuv, envstate, guard

    if current.kind == envstate.REMNANT:
        return REPLACE, "remnant", None, "", None
    clear = inv.command == "venv" and (inv.flag("--clear") or uvargs.env_flag(env, "UV_VENV_CLEAR"))
    if clear and facts.clear_deletes_foreign:
        guard.refuse_data_loss(inv, cwd=cwd, env=env, facts=facts, target=current.path)
    if current.kind != envstate.VENV:
        return KEEP, current.kind, None, "", None  # missing: uv creates it; foreign: untouched
    if inv.command == "run" and uvargs.no_sync(inv, env) and facts.no_sync_preserves:
        # `--no-sync` keeps any env uv can open, even an incompatible one; uv replaces it only
        # when its interpreter is gone (ProjectEnvironmentPolicy::Preserve in uv's source).
        if envstate.interpreter_gone(current.real_dir):
            return REPLACE, "interpreter gone", None, "", None
        return KEEP, "use", None, "", None
    if inv.command == "venv":
        if clear:
            return REPLACE, "--clear", None, "", None
        if inv.flag("--allow-existing"):
            return KEEP, "--allow-existing", None, "", None
        if facts.venv_wipes_without_clear:
            return REPLACE, f"{facts.label} recreates it without --clear", None, "", None
        return KEEP, "venv keeps it", None, "", None
    said = ""
    if facts.dry_run:
        answer = askuv.dry_run(
            real_uv,
            inv,
            cwd=cwd,
            env=env,
            facts=facts,
            argv=dry_run_argv(inv, cwd=str(cwd), env=env, facts=facts),
            early=early,
            to_end=reads_changes(inv, env),
        )
        if answer.action == "replace":
            return REPLACE, "replace", answer.env_path, answer.said, None
        if answer.action in ("use", "create"):
            return KEEP, answer.action, answer.env_path, answer.said, answer.changes
        if answer.action == "broken":  # uv refuses it, and says so
            return KEEP, "broken", answer.env_path, answer.said, None
        said = answer.said
    elif early is not None:
        early.stop()
    if envstate.interpreter_gone(current.real_dir):
        return REPLACE, "interpreter gone", None, said, None  # every release replaces it
    found = askuv.python_find(real_uv, inv, current, cwd=cwd, env=env, facts=facts)
    if found == REPLACE:
        return REPLACE, "other interpreter", None, said, None
    if found == KEEP:
        return KEEP, "same interpreter", None, said, None
    return REPLACE, "unsure", None, said, None
