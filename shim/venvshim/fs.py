"""Writing a file all at once: the one routine venvshim uses for every file it writes (state,
caches, the shim itself, hook copies, shell rc files, uv.exe); and the one rename that moves
what is in use out of uv's way (an environment, a file), retried briefly.

A temp file in the same directory, renamed over the target: a reader sees the old bytes or the
new ones, never half, whoever is killed when. Options cover what the callers differ in: the
mode (0600 unless said: state files are private), going through a symlink to the file it names
(dotfile managers link rc files), and replacing an executable that is running (Windows refuses
to overwrite it but lets it be renamed aside).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

RENAME_RETRY_SECONDS = 1.0  # antivirus/indexers open files briefly (uv #9543)


def rename_with_retry(src: str | Path, dst: str | Path) -> None:
    """os.rename, retried for RENAME_RETRY_SECONDS while Windows says PermissionError (a
    scanner's brief open handle); the last error is raised."""
    deadline = time.monotonic() + RENAME_RETRY_SECONDS
    while True:
        try:
            os.rename(src, dst)
            return
        except PermissionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = None,
    through_link: bool = False,
    keep_mode: bool = False,
    running_ok: bool = False,
) -> None:
    """Replace `path` with `data`. `mode`: the file's permissions (default 0600); `keep_mode`:
    those the file has now (else `mode`); `through_link`: write the file a symlink names;
    `running_ok`: when the target cannot be replaced because it runs (Windows), rename it aside
    to `.NAME.old-PID` first (removed by a later write, once nothing runs it)."""
    import tempfile

    target = Path(os.path.realpath(path)) if through_link else path
    if keep_mode:
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(tmp, mode)
        try:
            os.replace(tmp, target)
        except PermissionError:
            if not running_ok:
                raise
            os.replace(target, target.with_name(f".{target.name}.old-{os.getpid()}"))
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if running_ok:
        for old in target.parent.glob(f".{target.name}.old-*"):
            try:
                old.unlink()
            except OSError:
                pass  # still running: removed by a later write
