"""The state root (`VENVSHIM_HOME`): where it is, every name in it (this module is their one
owner; the sh front end, the hooks and uninstall use the same names, and a test checks their
copies), and whether it can be trusted.

A state root is trusted only when it is a real directory owned by the current user and writable
by nobody else (POSIX): the sh front end sources files from it and gc deletes what its records
name, so anything another user could have put there must never be acted on. `ensure()` creates
it (mode 0700) or refuses it with `error:` + `hint:`; `read_private()` reads a file only when it
is a regular file of ours that nobody else can write. The state root is resolved at call time from
the environment and passed around; nothing here is a module-level singleton.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import VenvshimError
from .fs import write_atomic

__all__ = ["StateRoot", "default_home", "read_private", "write_atomic"]

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Every name under the state root.
TOMBSTONES = "tombstones"  # the registry: one JSON record per tombstone (tombstones/registry.py)
LOCKS = "locks"  # per-environment locks (intercept/handover.py)
CACHE = "cache"  # cached "keep" verdicts and uv versions (intercept/verdicts.py, uvfacts.py)
FAST = "fast"  # the sh front end's verdict files, one directory per $PWD (intercept/fastpath.py)
LOGS = "logs"  # crash.log, autogc.log
GC_LOCK = "gc.lock"  # one gc pass at a time (tombstones/gc.py)
AUTOGC_STAMP = "autogc.stamp"  # its mtime is when the next automatic gc is due (autogc.py)
AUTOGC_NOW = "autogc.now"  # truncated by the bash hook to compare "now" with the stamp
AUTOGC_LOCK = "autogc.lock"  # claims an automatic gc run
MANIFEST = "install.json"  # what `venvshim install --modify-path` did (integration/)
ENTRIES = (
    TOMBSTONES, LOCKS, CACHE, FAST, LOGS, GC_LOCK, AUTOGC_STAMP, AUTOGC_NOW, AUTOGC_LOCK, MANIFEST,
)  # fmt: skip
# What the POSIX front ends compute when VENVSHIM_HOME is unset (default_home, in sh).
SH_DEFAULT_HOME = {
    "linux": "${XDG_STATE_HOME:-$HOME/.local/state}/venvshim",
    "darwin": "$HOME/Library/Application Support/venvshim",
}


def default_home(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    explicit = env.get("VENVSHIM_HOME")
    if explicit:
        return Path(explicit)
    if platform == "win32":
        base = env.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return Path(base) / "venvshim"
    if platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support/venvshim"))
    base = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME") or "~", ".local", "state")
    return Path(os.path.expanduser(base)) / "venvshim"


def _untrusted(st: os.stat_result, *, directory: bool) -> str | None:
    """Why a file or directory with this stat must not be trusted, or None."""
    import stat

    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if directory and not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if not directory and not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if sys.platform == "win32":
        return None  # per-user %LOCALAPPDATA%; ACLs, not modes
    if st.st_uid != os.geteuid():
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return "can be written by other users"
    return None


def read_private(path: Path) -> bytes | None:
    """The bytes of `path` when it is a regular file of ours that nobody else can write (never
    through a link); None when it is absent or not to be trusted."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if _untrusted(os.fstat(fd), directory=False) is not None:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


class StateRoot:
    def __init__(self, home: Path) -> None:
        self.home = home

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StateRoot:
        return cls(default_home(env))

    @property
    def registry(self) -> Path:
        return self.home / TOMBSTONES

    @property
    def locks(self) -> Path:
        return self.home / LOCKS

    @property
    def cache(self) -> Path:
        return self.home / CACHE

    @property
    def fast(self) -> Path:
        return self.home / FAST

    @property
    def logs(self) -> Path:
        return self.home / LOGS

    def problem(self) -> str | None:
        """Why this state root must not be used, or None (also None when it does not exist)."""
        try:
            st = os.stat(self.home)  # a link to a directory of the user's own is fine
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        return _untrusted(st, directory=True)

    def check(self) -> StateRoot:
        """Refuse a state root that cannot be trusted (an absent one is fine: nothing in it)."""
        why = self.problem()
        if why is not None:
            raise self._refusal(why)
        return self

    def _refusal(self, why: str) -> VenvshimError:
        return VenvshimError(
            f"venvshim's state root `{self.home}` {why}: what it holds could have been put "
            "there by someone else, so venvshim will not use it",
            hint="point VENVSHIM_HOME at a directory only you can write (venvshim creates it),"
            f" or fix this one, e.g. `chmod 700 {self.home}` if it is yours",
        )

    def unwritable(self, exc: OSError) -> VenvshimError:
        """The error for a state root venvshim cannot write (full, read-only): said before
        anything is moved."""
        return VenvshimError(
            f"cannot write venvshim's state root `{self.home}`: {exc.strerror or exc}; "
            "nothing was changed",
            hint="free some space there or make it writable, or set VENVSHIM_HOME to a "
            "directory you can write; `VENVSHIM_DISABLE=1 uv …` runs uv without venvshim",
        )

    def ensure(self) -> StateRoot:
        """Create the state root (mode 0700) if needed; refuse one that cannot be trusted."""
        try:
            self.home.parent.mkdir(parents=True, exist_ok=True)
            self.home.mkdir(mode=0o700, exist_ok=True)
        except FileExistsError:
            pass  # not a directory: problem() says so
        except OSError as exc:
            raise self.unwritable(exc) from exc
        return self.check()
