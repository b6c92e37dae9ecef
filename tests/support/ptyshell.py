"""An interactive shell on a pseudo-terminal, for the hook tests and the prompt benchmark."""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class PtyError(RuntimeError):
    """The shell did not show what was awaited in time, or exited."""


class PtyShell:
    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        import pty  # POSIX only: imported here so that importers still load on Windows

        self.argv = list(argv)
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - child
            try:
                os.chdir(cwd)
                os.execve(self.argv[0], self.argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = b""
        self.count = 0

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read_until(self, done: Callable[[bytes], bool], timeout: float) -> None:
        """Read into self.output until done(self.output)."""
        deadline = time.perf_counter() + timeout
        while not done(self.output):
            left = deadline - time.perf_counter()
            if left <= 0:
                raise PtyError(
                    f"`{shlex.join(self.argv)}`: nothing awaited within {timeout:g} s; "
                    f"output: {self.output[-400:]!r}"
                )
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                raise PtyError(f"`{shlex.join(self.argv)}` exited: {self.output[-400:]!r}")
            self.output += data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, b"exit\n")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if select.select([self.fd], [], [], 0.05)[0]:
                    os.read(self.fd, 65536)
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
        else:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)
