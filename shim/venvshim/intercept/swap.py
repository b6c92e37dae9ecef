"""Tombstone an environment, or put it back: the swap acts on a decision.Plan, never decides.

Protocol (each step leaves a state gc or uv can finish from, whatever is killed when):
  1. wait until uv's own `.lock` in the env is free (uv may be installing into it);
  2. register the tombstone as PENDING with the env directory's device and inode, rename
     env -> tombstone, mark the record ACTIVE;   (killed here: gc finds a PENDING record, and
     either a tombstone with that identity to collect, or none: the env was never moved)
  3. (handover.py runs uv) if uv made no new env (say no interpreter matched), `restore` renames
     the tombstone back: uv alone would have left the env intact.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

from ..errors import VenvshimError
from ..fs import rename_with_retry
from ..platform import impl
from ..state import StateRoot
from ..tombstones.registry import ACTIVE, Record, Registry
from . import envstate

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def crash_point(step: str) -> None:
    """Fault injection for the crash-safety test: SIGKILL ourselves at a named step."""
    if os.environ.get("VENVSHIM_TEST_CRASH_AT") == step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _wait_env_lock_free(env_dir: Path, env: Mapping[str, str]) -> None:
    """Never rename an environment while uv holds its `.lock` (it is installing into it)."""
    from ..platform import lock_timeout

    lock = str(env_dir / ".lock")
    deadline = time.monotonic() + lock_timeout(env)
    while impl.is_locked_by_other(lock):
        if time.monotonic() > deadline:
            raise VenvshimError(
                f"uv is still using the environment at `{env_dir}` (its .lock is held)",
                hint="wait for the other uv command to finish, then run this command again",
            )
        time.sleep(0.05)


class CannotMove(VenvshimError):
    """The environment could not be renamed; it is exactly as it was."""

    def __init__(self, env_dir: Path, exc: OSError) -> None:
        from ..tombstones import holders

        self.holders = holders.holders_of(holders.scan(), str(env_dir))
        self.mount_point = exc.errno in (errno.EXDEV, errno.EBUSY) or os.path.ismount(env_dir)
        lines = [f"  {h.describe()}" for h in self.holders[:10]]
        if self.mount_point:
            why = "it is a mount point"
        elif self.holders:
            why = "these processes hold files or a working directory in it:\n" + "\n".join(lines)
        else:
            why = f"{exc.strerror or exc}"
        super().__init__(
            f"cannot move the environment at `{env_dir}` aside, so uv would fail half-way "
            f"deleting it; left it untouched: {why}",
            hint="close the programs using it (editor, REPL, kernel), then run the command again;"
            " or run it with VENVSHIM_DISABLE=1 to let uv try anyway",
        )


def tombstone(current: envstate.EnvState, *, state: StateRoot, env: Mapping[str, str]) -> Record:
    """Rename the environment to a registered tombstone, or raise leaving it untouched.

    Nothing is written into the environment: the record holds the directory's device and inode,
    which the rename keeps (so a full disk under the project does not stop a switch)."""
    real_dir = current.real_dir
    _wait_env_lock_free(real_dir, env)
    registry = Registry(state)
    record = registry.new(real_dir, os.lstat(real_dir))
    try:
        registry.save(record)
    except OSError as exc:
        raise state.unwritable(exc) from exc
    crash_point("registered")
    try:
        rename_with_retry(real_dir, Path(record.path))
    except OSError as exc:
        registry.forget(record)
        raise CannotMove(real_dir, exc) from exc
    crash_point("renamed")
    record.state = ACTIVE
    try:
        registry.save(record)
    except OSError:
        pass  # the PENDING record names the tombstone too: gc collects it once this shim is gone
    crash_point("active")
    if current.path != real_dir:
        _placeholder(current, Path(record.path))
    return record


def _placeholder(current: envstate.EnvState, tomb: Path) -> None:
    """`.venv` is a link or a redirect file: uv recreates the directory it names in place. A
    link must not dangle: an empty directory (uv builds in it). A redirect file's target must
    still look like an env to uv 0.13.9: a copy of the old `pyvenv.cfg` alone, which uv treats
    as what a failed deletion left, and replaces."""
    current.real_dir.mkdir()
    if not os.path.islink(current.path):
        with open(tomb / "pyvenv.cfg", "rb") as src:
            (current.real_dir / "pyvenv.cfg").write_bytes(src.read())


def uv_built_nothing(current: envstate.EnvState, record: Record) -> bool:
    """Is the environment's place as the swap left it (missing, empty, or the placeholder)?"""
    real_dir = Path(current.real_dir)
    try:
        names = os.listdir(real_dir)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not names:
        return True
    if names == ["pyvenv.cfg"] and not os.path.islink(current.path):
        try:
            with open(Path(record.path) / "pyvenv.cfg", "rb") as old:
                return (real_dir / "pyvenv.cfg").read_bytes() == old.read()
        except OSError:
            return False
    return False


def restore(record: Record, current: envstate.EnvState, *, state: StateRoot) -> bool:
    """Put the old environment back when uv made no new one. True if restored."""
    real_dir = Path(current.real_dir)
    try:
        if not record.identity_matches(os.lstat(record.path)):
            return False
    except OSError:
        return False
    if not uv_built_nothing(current, record):
        return False
    if real_dir.is_dir() and not real_dir.is_symlink():
        for name in os.listdir(real_dir):  # the placeholder pyvenv.cfg, if any
            (real_dir / name).unlink()
        real_dir.rmdir()
    if os.path.lexists(real_dir):
        return False
    os.rename(record.path, real_dir)
    Registry(state).forget(record)
    return True
