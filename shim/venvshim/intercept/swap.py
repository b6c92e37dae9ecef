"""The shim's slow path: decide, tombstone the environment, let uv build a new one.

Protocol (each step leaves a state gc or uv can finish from, whatever is killed when):
  1. take the per-environment lock (serialises shims on one env);
  2. decide (cached fingerprint, else `uv sync --dry-run`); "keep" -> exec uv, lock inherited;
  3. wait until uv's own `.lock` in the env is free (uv may be installing into it);
  4. register the tombstone as PENDING, write the marker INTO the env, rename env -> tombstone,
     mark the record ACTIVE;   (killed here: gc finds a PENDING record, and either a marked
     tombstone to collect or a marked env to unmark)
  5. run uv as a child; if it made no new env (say no interpreter matched), rename the tombstone
     back: uv alone would have left the env intact;
  6. start gc in the background, which deletes the tombstone as soon as nothing holds it.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from pathlib import Path

from ..errors import VenvshimError
from ..platform import impl
from ..state import ACTIVE, MARKER, Record, StateRoot
from . import decide, envstate, fastpath, project
from .uvargs import (
    Invocation,
    env_flag,
    may_replace_env,
    no_sync,
    run_script_path,
    script_project,
)

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn

    from ..platform.posix import StderrReader

RENAME_RETRY_SECONDS = 1.0  # antivirus/indexers open files briefly (uv #9543)

# Set once an environment has been moved: from then on an internal error must not fall back to
# running uv unsupervised (entry.main), since the tombstone would never be restored.
swapped = False


def _crash_point(step: str) -> None:
    """Fault injection for the crash-safety test: SIGKILL ourselves at a named step."""
    if os.environ.get("VENVSHIM_TEST_CRASH_AT") == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _lock_path(state: StateRoot, env_path: Path) -> str:
    digest = decide.sha256_hex(os.fsencode(os.path.abspath(env_path)))[:24]
    state.locks.mkdir(parents=True, exist_ok=True)
    return str(state.locks / f"{digest}.lock")


def _is_inline_script(inv: Invocation, cwd: Path) -> bool:
    script = run_script_path(inv, str(cwd))
    if script is None:
        return False
    try:
        with open(script, encoding="utf-8", errors="replace") as fh:
            return any(line.rstrip() == "# /// script" for line in fh)
    except OSError:
        return False


class Plan:
    """What the shim will do: KEEP (exec uv) or REPLACE `current` (tombstone it first)."""

    __slots__ = ("action", "cache_key", "current", "env_path", "verdict")

    def __init__(
        self,
        action: str,
        *,
        env_path: Path | None,
        current: envstate.EnvState | None = None,
        verdict: decide.Verdict | None = None,
        cache_key: str | None = None,
    ) -> None:
        self.action = action
        self.env_path = env_path
        self.current = current
        self.verdict = verdict
        self.cache_key = cache_key

    def __repr__(self) -> str:
        return f"Plan({self.action}, {self.env_path}, {self.current}, {self.verdict})"


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
    """Decide without acting (no lock taken). Used by `intercept` and by the differential test.

    A "keep" verdict is cached for Python, and for the sh front end when `pwd` (the shell's
    $PWD, the key sh looks it up by) is given. `early`: this command's dry-run, already started
    (entry.py); used if the decision needs it, stopped otherwise.
    """
    try:
        return _plan(real_uv, inv, cwd=cwd, env=env, state=state, pwd=pwd, early=early)
    finally:
        if early is not None and not early.stream.closed:
            early.stop()


def _plan(
    real_uv: str,
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    state: StateRoot,
    pwd: str | None,
    early: StderrReader | None,
) -> Plan:
    located = _locate(real_uv, inv, cwd=cwd, env=env, state=state)
    if located is None:
        return Plan(decide.KEEP, env_path=None)
    key, cached, env_path = located
    if cached is not None:
        if pwd is not None:
            fastpath.record_keep(
                state.home, pwd=pwd, argv=inv.argv, env=env, real_uv=real_uv, watched=cached.watched
            )
        return Plan(
            decide.KEEP,
            env_path=cached.env_path,
            cache_key=key,
            verdict=decide.Verdict(decide.KEEP, cached.env_path, "cached"),
        )
    if env_path is None:
        return Plan(decide.KEEP, env_path=None)
    verdict = _decide(real_uv, inv, env_path=env_path, cwd=cwd, env=env, early=early)
    current = envstate.classify(env_path)
    if verdict.env_path is not None and _real(verdict.env_path) != _real(current.real_dir):
        current = envstate.classify(verdict.env_path)  # uv knows where its env is
    if verdict.action == decide.REPLACE and current.kind in (envstate.VENV, envstate.REMNANT):
        return Plan(
            decide.REPLACE, env_path=env_path, current=current, verdict=verdict, cache_key=key
        )
    if verdict.detail in ("use", "create") and verdict.env_path is not None:
        watched = project.watched_paths(inv, cwd=cwd, env=env, env_dir=verdict.env_path)
        watched.append(Path(real_uv))
        if decide.store(state.cache, key, verdict.env_path, watched) and pwd is not None:
            fastpath.record_keep(
                state.home, pwd=pwd, argv=inv.argv, env=env, real_uv=real_uv, watched=watched
            )
    return Plan(decide.KEEP, env_path=env_path, current=current, verdict=verdict, cache_key=key)


def _locate(
    real_uv: str, inv: Invocation, *, cwd: Path, env: Mapping[str, str], state: StateRoot
) -> tuple[str, decide.Cached | None, Path | None] | None:
    """None if this command cannot replace an env; else its cache key, a still-valid cached
    "keep" (or None), and the env it targets (None: no project)."""
    if not may_replace_env(inv, env) or _is_inline_script(inv, cwd):
        return None
    key = decide.cache_key(inv, cwd=cwd, env=env, real_uv=real_uv)
    cached = decide.lookup(state.cache, key)
    if cached is not None:
        return key, cached, cached.env_path
    return key, None, project.target_env_dir(inv, cwd=cwd, env=env)


def _stop(early: StderrReader | None) -> None:
    if early is not None:
        early.stop()


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def intercept(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    pwd: str | None = None,
    early: StderrReader | None = None,
) -> NoReturn:
    state = StateRoot.from_env(env)
    hold_lock = inv.command != "run"  # a `uv run` child may live for hours: never hold for it
    located = _locate(real_uv, inv, cwd=cwd, env=env, state=state)
    env_path = located[2] if located else None
    if env_path is None:
        # Cannot replace an env (a PEP 723 script, ...), or no project: uv reports it, or
        # runs without one.
        _stop(early)
        impl.exec_uv(real_uv, args)
    lock_path = _lock_path(state, env_path)
    fd = impl.lock_fd(lock_path, blocking=False)
    if fd is None:
        # Another shim works on this env: what the early dry-run saw may be stale by the time
        # we get the lock. Wait, then decide afresh.
        _stop(early)
        early = None
        fd = impl.lock_fd(lock_path, blocking=True)
    assert fd is not None
    # Decide under the lock: another shim may have swapped this env while we waited.
    chosen = plan(real_uv, inv, cwd=cwd, env=env, state=state, pwd=pwd, early=early)
    if chosen.action != decide.REPLACE or chosen.current is None:
        _exec_keep(real_uv, args, fd, hold_lock)
    record = tombstone(chosen.current, state=state, env=env)
    _supervise(real_uv, args, inv, record=record, current=chosen.current, state=state, lock=fd)


def _decide(
    real_uv: str,
    inv: Invocation,
    *,
    env_path: Path,
    cwd: Path,
    env: Mapping[str, str],
    early: StderrReader | None,
) -> decide.Verdict:
    current = envstate.classify(env_path)
    if current.kind == envstate.REMNANT:
        return decide.Verdict(decide.REPLACE, env_path, "remnant")
    if current.kind != envstate.VENV:
        return decide.Verdict(decide.KEEP, env_path, current.kind)
    if inv.command == "venv":
        return decide.Verdict(decide.REPLACE, env_path, "--clear")
    if inv.command == "run" and no_sync(inv, env):
        # `--no-sync` preserves any env uv can open, even an incompatible one; uv replaces it only
        # when its interpreter is gone (ProjectEnvironmentPolicy::Preserve in uv's project/mod.rs).
        if envstate.interpreter_gone(current.real_dir):
            return decide.Verdict(decide.REPLACE, env_path, "interpreter gone")
        return decide.Verdict(decide.KEEP, env_path, "use")
    verdict = decide.ask_uv(
        real_uv,
        inv,
        cwd=cwd,
        env=env,
        script_project=script_project(inv, cwd=str(cwd), env=env),
        early=early,
    )
    if verdict.env_path is None:
        verdict.env_path = env_path
    return verdict


def _exec_keep(real_uv: str, args: Sequence[str], fd: int, hold_lock: bool) -> NoReturn:
    if hold_lock:
        impl.exec_uv(real_uv, args, keep_fds=[fd])
    impl.unlock_fd(fd)
    impl.exec_uv(real_uv, args)


def _wait_env_lock_free(env_dir: Path, env: Mapping[str, str]) -> None:
    """Never rename an environment while uv holds its `.lock` (it is installing into it)."""
    lock = str(env_dir / ".lock")
    try:
        timeout = float(env.get("UV_LOCK_TIMEOUT", "300"))
    except ValueError:
        timeout = 300.0
    deadline = time.monotonic() + timeout
    while impl.is_locked_by_other(lock):
        if time.monotonic() > deadline:
            raise VenvshimError(
                f"uv is still using the environment at `{env_dir}` (its .lock is held)",
                hint="wait for the other uv command to finish, then run this command again",
            )
        time.sleep(0.05)


def _rename_with_retry(src: Path, dst: Path) -> None:
    deadline = time.monotonic() + RENAME_RETRY_SECONDS
    while True:
        try:
            os.rename(src, dst)
            return
        except PermissionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def tombstone(current: envstate.EnvState, *, state: StateRoot, env: Mapping[str, str]) -> Record:
    """Rename the environment to a registered, marked tombstone, or raise leaving it untouched."""
    real_dir = current.real_dir
    _wait_env_lock_free(real_dir, env)
    record = state.new_record(real_dir)
    state.save(record)
    _crash_point("registered")
    marker = real_dir / MARKER
    try:
        marker.write_text(record.marker_text(), encoding="utf-8")
        _crash_point("marked")
        _rename_with_retry(real_dir, Path(record.path))
    except OSError as exc:
        marker.unlink(missing_ok=True)
        state.forget(record)
        raise _cannot_rename(real_dir, exc) from exc
    global swapped
    swapped = True
    _crash_point("renamed")
    record.state = ACTIVE
    state.save(record)
    _crash_point("active")
    if current.path != real_dir:
        # `.venv` is a link or redirect file: uv recreates the directory it names, which must
        # then be missing or empty. Keep an empty one so the link does not dangle.
        real_dir.mkdir()
    return record


def _cannot_rename(env_dir: Path, exc: OSError) -> VenvshimError:
    from ..tombstones import holders

    found = holders.holders_of(holders.scan(), str(env_dir))
    lines = [f"  {h.describe()}" for h in found[:10]]
    if exc.errno in (errno.EXDEV, errno.EBUSY) or os.path.ismount(env_dir):
        why = "it is a mount point"
    elif found:
        why = "these processes hold files or a working directory in it:\n" + "\n".join(lines)
    else:
        why = f"{exc.strerror or exc}"
    return VenvshimError(
        f"cannot move the environment at `{env_dir}` aside, so uv would fail half-way "
        f"deleting it; left it untouched: {why}",
        hint="close the programs using it (editor, REPL, kernel), then run the command again;"
        " or run it with VENVSHIM_DISABLE=1 to let uv try anyway",
    )


def restore(record: Record, current: envstate.EnvState, *, state: StateRoot) -> bool:
    """Put the old environment back when uv made no new one. True if restored."""
    real_dir = Path(current.real_dir)
    tomb = Path(record.path)
    if not tomb.is_dir() or not record.marker_matches(tomb):
        return False
    if real_dir.is_dir() and not os.listdir(real_dir):
        real_dir.rmdir()
    if os.path.lexists(real_dir):
        return False
    os.rename(tomb, real_dir)
    (real_dir / MARKER).unlink(missing_ok=True)
    state.forget(record)
    return True


def _env_ready(current: envstate.EnvState) -> bool:
    fresh = envstate.classify(current.path)
    return fresh.kind == envstate.VENV and not impl.is_locked_by_other(
        str(fresh.real_dir / ".lock")
    )


def _supervise(
    real_uv: str,
    args: Sequence[str],
    inv: Invocation,
    *,
    record: Record,
    current: envstate.EnvState,
    state: StateRoot,
    lock: int,
) -> NoReturn:
    import subprocess

    child = impl.run_supervised([real_uv, *args])
    _crash_point("uv-started")
    held = True
    if inv.command == "run":
        # Release the per-env lock once uv has built the new env, before the user's program
        # runs for who knows how long.
        while child.poll() is None and held:
            if _env_ready(current):
                impl.unlock_fd(lock)
                held = False
            else:
                try:
                    child.wait(timeout=0.02)
                except subprocess.TimeoutExpired:
                    pass
    returncode = child.wait()
    if envstate.classify(current.path).kind == envstate.MISSING:
        restore(record, current, state=state)
    else:
        start_background_gc(record, env=os.environ)
    if held:
        impl.unlock_fd(lock)
    impl.exit_like(returncode)


def start_background_gc(record: Record, *, env: Mapping[str, str]) -> None:
    """Detached `venvshim gc --wait` for this tombstone; never fails the user's command."""
    from ..platform.launch import venvshim_command

    if env_flag(env, "VENVSHIM_NO_BACKGROUND_GC"):
        return
    try:
        impl.spawn_detached(venvshim_command(["gc", "--wait", "--id", record.id]), env=env)
    except OSError as exc:
        print(f"warning: venvshim: could not start background gc: {exc}", file=sys.stderr)
