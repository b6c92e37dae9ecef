"""The platform seam: the one place that picks posix.py or windows.py (tests patch
`venvshim.platform.impl`), and what both share on top of them."""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from . import windows as impl
else:
    from . import posix as impl

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["impl", "lock", "lock_timeout"]

DEFAULT_LOCK_TIMEOUT = 300.0  # seconds, like uv's own UV_LOCK_TIMEOUT


def lock_timeout(env: Mapping[str, str]) -> float:
    """How long to wait for a lock: UV_LOCK_TIMEOUT, as uv itself reads it."""
    try:
        value = float(env.get("UV_LOCK_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if value >= 0 else DEFAULT_LOCK_TIMEOUT


def lock(path: str, *, timeout: float, poll: float = 0.05) -> int | None:
    """Take the exclusive lock on `path`, waiting at most `timeout` seconds; None if it stayed
    busy. Polling, on every platform: a blocking wait could neither be bounded nor report."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        fd = impl.try_lock(path)
        if fd is not None or time.monotonic() >= deadline:
            return fd
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
