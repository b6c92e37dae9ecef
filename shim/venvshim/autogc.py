"""Automatic gc, started by the shell hooks and the platform scheduler: at most once per interval.

    python -I -m venvshim.autogc [--from hook|systemd|launchd|task] [--home STATE_ROOT]

The interval is kept by `autogc.stamp` in the state root, whose **mtime is the time the next run
is due**: the hooks then decide with shell builtins alone (bash compares a just-truncated file
with `-nt`, zsh uses a glob qualifier, fish `path mtime`), without a fork or a clock. Claiming a
run pushes the stamp one interval ahead under a lock, so shells racing at the same prompt start
one gc between them. Never prints, never fails: the outcome goes to `logs/autogc.log`.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import VenvshimError, boundary
from .platform import impl, lock
from .state import AUTOGC_LOCK, StateRoot
from .state import AUTOGC_STAMP as STAMP

LOG = "autogc.log"
DEFAULT_INTERVAL = 3600
LOG_LIMIT = 64 * 1024


def interval(env: Mapping[str, str]) -> int:
    """Seconds between runs: VENVSHIM_GC_INTERVAL (tests), else one hour."""
    raw = env.get("VENVSHIM_GC_INTERVAL", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_INTERVAL


def due_at(state: StateRoot) -> float | None:
    try:
        return (state.home / STAMP).stat().st_mtime
    except OSError:
        return None


def claim(state: StateRoot, *, every: int, now: float | None = None) -> bool:
    """True if a run is due; then the stamp moves to now + every, so nobody else runs."""
    state.ensure()
    fd = lock(str(state.home / AUTOGC_LOCK), timeout=5)
    if fd is None:
        return False  # another process is claiming right now
    try:
        now = time.time() if now is None else now
        due = due_at(state)
        # A due time further ahead than one interval means the clock went back: run.
        if due is not None and now < due <= now + every:
            return False
        stamp = state.home / STAMP
        stamp.touch()
        os.utime(stamp, (now + every, now + every))
        return True
    finally:
        impl.unlock_fd(fd)


def log(state: StateRoot, line: str) -> None:
    try:
        state.logs.mkdir(parents=True, exist_ok=True)
        path = state.logs / LOG
        if path.exists() and path.stat().st_size > LOG_LIMIT:
            path.replace(path.with_suffix(".log.1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} pid {os.getpid()} {line}\n")
    except OSError:
        pass


def runs(state: StateRoot) -> list[str]:
    """The `run` lines of the log (tests and doctor read them)."""
    try:
        text = (state.logs / LOG).read_text(encoding="utf-8")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if " run " in ln]


def run(*, state: StateRoot, env: Mapping[str, str], trigger: str) -> int:
    try:
        if not claim(state, every=interval(env)):
            return 0
    except VenvshimError:
        return 0  # an untrusted or unwritable state root: nothing to collect, nowhere to log
    from .tombstones.gc import gc

    try:
        outcomes = gc(state=state, dry_run=False, only=None, wait=None).outcomes
    except Exception as exc:  # cleanup is never fatal (STYLE 8)
        log(state, f"run from={trigger} error={type(exc).__name__}: {exc}")
        return 0
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    summary = " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing"
    log(state, f"run from={trigger} {summary}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m venvshim.autogc", description=__doc__)
    parser.add_argument("--from", dest="trigger", default="manual")
    parser.add_argument("--home", type=Path, help="state root (the scheduler passes it)")
    args = parser.parse_args(argv)
    state = StateRoot(args.home) if args.home else StateRoot.from_env(os.environ)
    return boundary(lambda: run(state=state, env=os.environ, trigger=args.trigger))


if __name__ == "__main__":
    raise SystemExit(main())
