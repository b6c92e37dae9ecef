"""The program under test in tests/e2e/test_running_process.py: a Python process started from
an environment's `bin/python`, driven over a JSON line protocol on stdin/stdout, and the
scenario around it (a project, its env, the switch). PYTEST_DONT_REWRITE: a helper module."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import run
from tests.e2e.conftest import tombstones_in, venvshim

SHIM_POSIX, SHIM_NTFS, PLAIN_UV = "shim-posix", "shim-ntfs", "plain-uv"
MODES = [SHIM_POSIX, SHIM_NTFS, PLAIN_UV]
SHIM_MODES = [SHIM_POSIX, SHIM_NTFS]
REPLY_TIMEOUT = 30.0

# The process under test. Prints "ready", then answers one JSON line per JSON command line:
# {"value": ...} or {"error": "<exception type>", "message": ..., "name": <ImportError.name>}.
DRIVER = r"""
import importlib, inspect, json, os, subprocess, sys

handles = {}

def do(cmd, *args):
    if cmd == "import":
        return importlib.import_module(args[0]).__file__
    if cmd == "attr":
        return getattr(sys.modules[args[0]], args[1])
    if cmd == "call":
        return getattr(sys.modules[args[0]], args[1])()
    if cmd == "open":
        handles[args[0]] = open(args[0], "rb")
        return None
    if cmd == "read-open":
        fh = handles[args[0]]
        fh.seek(0)
        return fh.read().decode()
    if cmd == "close":
        handles.pop(args[0]).close()
        return None
    if cmd == "read":
        with open(args[0], "rb") as fh:
            return fh.read().decode()
    if cmd == "chdir":
        os.chdir(args[0])
        return None
    if cmd == "getcwd":
        return os.getcwd()
    if cmd == "source":
        return inspect.getsource(sys.modules[args[0]])
    if cmd == "sys.path":
        return sys.path
    if cmd == "child-python":
        # What a child started the usual way (subprocess, multiprocessing's spawn) runs.
        code = "import sys; print('%d.%d' % sys.version_info[:2])"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout.strip()
    raise ValueError(f"unknown command {cmd!r}")

print("ready", flush=True)
for line in sys.stdin:
    try:
        reply = {"value": do(*json.loads(line))}
    except Exception as exc:
        name = getattr(exc, "name", None)
        reply = {"error": type(exc).__name__, "message": str(exc), "name": name}
    print(json.dumps(reply), flush=True)
"""

# A real CPython extension module, compiled for the 3.10 interpreter the old env runs on.
EXTENSION_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *answer(PyObject *self, PyObject *args)
{
    (void)self;
    (void)args;
    return PyLong_FromLong(42);
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_keepext",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__keepext(void) { return PyModule_Create(&module); }
"""


class Driver:
    """A running process from the old env, answering commands (see DRIVER)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.pid = proc.pid
        self._buf = b""

    def _line(self) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + REPLY_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise AssertionError(f"driver {self.pid}: no reply within {REPLY_TIMEOUT} s")
                chunk = os.read(fd, 65536)
                if not chunk:
                    err = self.proc.stderr.read() if self.proc.stderr is not None else b""
                    raise AssertionError(f"driver {self.pid} exited: {err.decode()}")
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def ask(self, *cmd: str) -> dict[str, object]:
        """Send one command and return the reply: {"value": …} or {"error": …, …}."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd).encode() + b"\n")
        self.proc.stdin.flush()
        reply = json.loads(self._line())
        assert isinstance(reply, dict)
        return reply

    def value(self, *cmd: str) -> object:
        reply = self.ask(*cmd)
        assert "error" not in reply, (cmd, reply)
        return reply["value"]

    def error(self, *cmd: str) -> tuple[object, object]:
        """(exception type name, ImportError.name) of a command that must fail."""
        reply = self.ask(*cmd)
        assert "error" in reply, (cmd, reply)
        return reply["error"], reply["name"]


@dataclass
class Scenario:
    mode: str
    proj: Path
    env: dict[str, str]  # for uv, the shim and venvshim (preloaded under the emulation)
    real_uv: Path
    driver_script: Path
    elsewhere: Path  # a directory outside the env, the processes' working directory

    @property
    def venv(self) -> Path:
        return self.proj / ".venv"

    def site(self, minor: str) -> Path:
        return self.venv / "lib" / f"python{minor}" / "site-packages"

    def switch(self, *argv: str) -> subprocess.CompletedProcess[str]:
        uv = str(self.real_uv) if self.mode == PLAIN_UV else "uv"
        return run([uv, *(argv or ("sync", "-p", "3.11"))], env=self.env, cwd=self.proj)

    def tomb(self) -> Path:
        (tomb,) = tombstones_in(self.proj)
        return tomb

    def holders(self) -> list[dict[str, object]]:
        """Holders of the one tombstone, with kind and path (`gc --dry-run --json`)."""
        proc = venvshim(["gc", "--dry-run", "--json"], env=self.env, cwd=self.proj)
        assert proc.returncode == 0, proc.stderr
        (outcome,) = json.loads(proc.stdout)
        assert outcome["path"] == str(self.tomb())
        held = outcome["holders"]
        assert isinstance(held, list)
        return held

    @contextmanager
    def running(
        self,
        python: str | None = None,
        *,
        cwd: Path | None = None,
        path: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Iterator[Driver]:
        """The driver, started from the old env's `bin/python` (by absolute path unless
        `python` says otherwise, as editors do), in a directory outside the env unless `cwd`
        says otherwise, without the emulation or VIRTUAL_ENV; `path` replaces PATH."""
        skip = {"LD_PRELOAD", "NTFSEMU_LOG", "NTFSEMU_DISABLE", "VIRTUAL_ENV", "PYTHONPATH"}
        env = {k: v for k, v in self.env.items() if k not in skip}
        if path is not None:
            env["PATH"] = path
        env.update(extra_env or {})
        proc = subprocess.Popen(
            [python or str(self.venv / "bin" / "python"), str(self.driver_script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd or self.elsewhere,
            env=env,
        )
        driver = Driver(proc)
        try:
            assert driver._line() == b"ready"
            yield driver
        finally:
            with suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                for stream in (proc.stdout, proc.stderr):
                    if stream is not None:
                        stream.close()
