"""POSIX side of the platform seam: exec, supervise with signal forwarding, flock."""

from __future__ import annotations

import fcntl
import os
import sys

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence
    from typing import NoReturn


# What uv's own child supervisor forwards (crates/uv/src/child.rs), by name: `signal` is imported
# only where it is used, off the exec path (it doubles this module's import time).
FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")
# Sent by the terminal driver to the whole foreground process group: the child already has it.
FROM_TERMINAL = ("SIGINT", "SIGQUIT")


def exec_uv(real_uv: str, argv: Sequence[str]) -> NoReturn:
    """Become the real uv: same pid, same terminal, same signals, nothing left to supervise.
    Nothing of venvshim's is inherited: its descriptors are close-on-exec."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(real_uv, [real_uv, *argv])


def run_supervised(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start uv as a child sharing our stdio; signals sent to the shim are forwarded to it.

    Like uv does for its own children: Ctrl+C / Ctrl+\\ in an interactive terminal reach the
    whole foreground process group, child included, so they are not forwarded a second time;
    sent to the shim alone (`kill -INT`), or without a terminal, they are.
    """
    import signal
    import subprocess  # not on the exec path: it costs ~15 ms to import

    child = subprocess.Popen(list(argv), env=None if env is None else dict(env))
    interactive = os.isatty(0)
    from_terminal = {getattr(signal, name) for name in FROM_TERMINAL}

    def forward(signum: int, _frame: object) -> None:
        try:
            if signum in from_terminal and interactive and os.getpgid(child.pid) == os.getpgid(0):
                return
            child.send_signal(signum)
        except OSError:
            pass

    for name in FORWARDED:
        signal.signal(getattr(signal, name), forward)
    return child


def exit_like(returncode: int) -> NoReturn:
    """Exit as the child did: its code, or die of the same signal (the shell then sees 128+N)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if returncode < 0:
        import signal

        sig = -returncode
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)  # the signal was blocked or ignored by our parent
    os._exit(returncode)


def try_lock(path: str) -> int | None:
    """An exclusive flock on `path` (created if needed, never inherited by children), or None
    if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def unlock_fd(fd: int) -> None:
    os.close(fd)


def is_locked_by_other(path: str) -> bool:
    """Does another process hold the flock on `path` (uv's environment `.lock`)?"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def spawn_detached(argv: Sequence[str], *, env: Mapping[str, str]) -> None:
    """A background process that outlives us, in its own session, never touching the tty."""
    import subprocess

    subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env),
        start_new_session=True,
        close_fds=True,
    )


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class StderrReader:
    """A child whose stderr we read line by line, and stop as soon as we have what we need."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.stream = os.fdopen(fd, "rb")

    def stop(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.stream.close()
        os.waitpid(self.pid, 0)

    def finish(self) -> int:
        """Wait for it to exit on its own (its stderr read to the end); its exit code."""
        self.stream.close()
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def spawn_stderr_reader(argv: Sequence[str], *, env: Mapping[str, str]) -> StderrReader | None:
    """Start `argv` in our cwd, stdin/stdout on /dev/null, its stderr on a pipe. os.posix_spawn
    needs neither `subprocess` nor `pathlib`: the shim starts uv's dry-run with this before its
    own heavier imports, so both proceed side by side."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            dict(env),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, write_fd, 2),
                (os.POSIX_SPAWN_CLOSE, read_fd),
            ],
        )
    except OSError:
        os.close(read_fd)
        return None
    finally:
        os.close(write_fd)
    return StderrReader(pid, read_fd)
