"""Windows/NTFS "file in use" rules on Linux, for end-to-end tests.

`ntfsemu.c` is an LD_PRELOAD library: a process started with `LD_PRELOAD=<lib>` gets EACCES
("Permission denied (os error 13)") from unlink/rmdir/rename whenever Windows would refuse the
same call because ANOTHER process holds the file: a running exe or a loaded DLL cannot be deleted
(but can be renamed), a file opened without FILE_SHARE_DELETE (Python's open()) can be neither
deleted nor renamed, and a directory cannot be renamed while a handle or a current directory is
at or beneath it. See the comment at the top of ntfsemu.c for the exact rules, and
../shared/research/windows-and-holders.md for their sources.

This module builds the library and two small artefacts with gcc, and starts real holder
processes. Using it from a test module::

    from tests.support.ntfsemu import NtfsemuKit, hold_exe, preload_env

    pytest_plugins = ["tests.support.ntfsemu"]  # registers the fixtures below

    def test_x(ntfsemu_lib: Path, ntfsemu: NtfsemuKit) -> None: ...

`pytest_plugins` in a test module registers this module as a plugin once per session, so its
fixtures (`ntfsemu_lib`, `ntfsemu`) are visible without importing them into the test module
(importing a fixture works too, but ruff then flags every test argument as F811). The test
module imports this one before pytest registers it as a plugin, too late for assertion
rewriting, hence PYTEST_DONT_REWRITE (pytest would warn, and warnings are errors here).
`tests`, `tests.e2e` and `tests.support` are packages: with pytest's default `prepend` import
mode the repository root is on sys.path and the shared conftest is the module `tests.conftest`.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import require

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "ntfsemu.c"
CFLAGS = ("-shared", "-fPIC", "-O2", "-Wall", "-Wextra")

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0

_HOLDER_C = r"""
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* Prints "ready", then blocks until stdin is closed (or SIGTERM, whose default kills it). */
int main(void)
{
    char buf[256];
    fputs("ready\n", stdout);
    fflush(stdout);
    while (read(0, buf, sizeof(buf)) > 0) {
    }
    return 0;
}
"""

_EXTENSION_C = r"""
/* Stands for a loaded .pyd: anything ctypes.CDLL can map. */
int ntfsemu_extension_answer(void) { return 42; }
"""

# Each holder prints "ready" once it holds the path, then waits for stdin to close.
_HOLD_MAPPED = (
    "import ctypes, sys\n"
    "lib = ctypes.CDLL(sys.argv[1])\n"
    "assert lib.ntfsemu_extension_answer() == 42\n"
    "print('ready', flush=True)\n"
    "sys.stdin.buffer.read()\n"
)
_HOLD_OPEN = (
    "import os, sys\n"
    "p = sys.argv[1]\n"
    "h = os.open(p, os.O_RDONLY) if os.path.isdir(p) else open(p, 'rb')\n"
    "print('ready', flush=True)\n"
    "sys.stdin.buffer.read()\n"
)
_HOLD_CWD = (
    "import os, sys\nos.chdir(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.buffer.read()\n"
)

# Runs one file operation and prints "0" or the errno. Run under the preload by `attempt`.
_ATTEMPT = r"""
import ctypes, os, shutil, sys
op, args = sys.argv[1], sys.argv[2:]
libc = ctypes.CDLL(None, use_errno=True)

def c_call(name, *cargs):
    fn = getattr(libc, name)
    if fn(*cargs) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

def at(path):
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY)
    return fd, os.path.basename(path)

try:
    if op == "unlink":
        os.unlink(args[0])
    elif op == "unlinkat":
        fd, name = at(args[0])
        os.unlink(name, dir_fd=fd)
    elif op == "rmdir":
        os.rmdir(args[0])
    elif op == "rmdirat":
        fd, name = at(args[0])
        os.rmdir(name, dir_fd=fd)
    elif op == "remove":
        c_call("remove", os.fsencode(args[0]))
    elif op == "rename":
        os.rename(args[0], args[1])
    elif op == "renameat":
        sfd, sname = at(args[0])
        dfd, dname = at(args[1])
        os.rename(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
    elif op == "renameat2":
        c_call("renameat2", -100, os.fsencode(args[0]), -100, os.fsencode(args[1]), 0)
    elif op == "exchange":
        c_call("renameat2", -100, os.fsencode(args[0]), -100, os.fsencode(args[1]), 2)
    elif op == "rmtree":
        shutil.rmtree(args[0])
    else:
        raise SystemExit(f"unknown op {op}")
except OSError as exc:
    print(exc.errno)
else:
    print(0)
"""


class NtfsemuBuildError(RuntimeError):
    """gcc failed (or is missing) while building an ntfsemu artefact."""


def _gcc(args: list[str], out: Path, what: str) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise NtfsemuBuildError(f"cannot build {what}: gcc not found on PATH")
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [gcc, *args, "-o", os.fspath(out)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or proc.stderr.strip():
        # -Wall -Wextra must stay silent: a warning here is a bug in the C source.
        raise NtfsemuBuildError(
            f"building {what} failed (gcc exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return out


def _gcc_source(text: str, out_dir: Path, stem: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    src = out_dir / f"{stem}.c"
    src.write_text(text)
    return src


def build_ntfsemu(out_dir: Path) -> Path:
    """Compile ntfsemu.c into `out_dir/libntfsemu.so` and return its path."""
    out = Path(out_dir) / "libntfsemu.so"
    return _gcc([*CFLAGS, os.fspath(SOURCE), "-ldl"], out, "libntfsemu.so")


def build_holder(out_dir: Path) -> Path:
    """Compile `out_dir/ntfsemu-holder`: prints "ready", then blocks until stdin closes."""
    src = _gcc_source(_HOLDER_C, Path(out_dir), "ntfsemu-holder")
    out = Path(out_dir) / "ntfsemu-holder"
    return _gcc(["-O2", "-Wall", "-Wextra", os.fspath(src)], out, "the holder executable")


def build_extension(out_dir: Path) -> Path:
    """Compile `out_dir/ntfsemu_extension.so`, a library a Python process can ctypes-load."""
    src = _gcc_source(_EXTENSION_C, Path(out_dir), "ntfsemu_extension")
    out = Path(out_dir) / "ntfsemu_extension.so"
    return _gcc([*CFLAGS, os.fspath(src)], out, "the test extension")


def preload_env(env: Mapping[str, str], lib: Path, *, log: Optional[Path] = None) -> dict[str, str]:
    """A copy of `env` with the emulation preloaded (and its refusals logged to `log`)."""
    out = dict(env)
    out["LD_PRELOAD"] = os.fspath(lib)
    out.pop("NTFSEMU_DISABLE", None)
    if log is not None:
        out["NTFSEMU_LOG"] = os.fspath(log)
    return out


def _holder_env() -> dict[str, str]:
    # Holders must not run under the emulation themselves, nor inherit a venv.
    skip = {"LD_PRELOAD", "NTFSEMU_LOG", "NTFSEMU_DISABLE", "VIRTUAL_ENV", "PYTHONPATH"}
    return {k: v for k, v in os.environ.items() if k not in skip}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Let the holder exit by closing its stdin; kill it if it does not. Always reap it."""
    try:
        if proc.stdin is not None and not proc.stdin.closed:
            with suppress(OSError):  # EPIPE if it already died
                proc.stdin.close()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        if proc.poll() is None:  # only if something above raised
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _wait_ready(proc: subprocess.Popen[bytes], what: str) -> None:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + READY_TIMEOUT
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"ready\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
    if b"ready\n" in buf:
        return
    proc.kill()
    proc.wait()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr is not None else ""
    raise RuntimeError(
        f"holder {what} never printed 'ready' (exit {proc.returncode}):\n"
        f"stdout: {buf!r}\nstderr: {err}"
    )


@contextmanager
def _holding(argv: list[str], what: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd="/",  # never hold the test's directories by accident
        env=_holder_env(),
    )
    try:
        _wait_ready(proc, what)
        yield proc
    finally:
        _stop(proc)


@contextmanager
def hold_exe(exe_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `exe_path` (a copy of `build_holder`'s program) while the block runs."""
    with _holding([os.fspath(exe_path)], f"exe {exe_path}") as proc:
        yield proc


@contextmanager
def hold_mapped(python_exe: Path, so_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process that has `so_path` loaded (ctypes.CDLL), like a loaded .pyd."""
    argv = [os.fspath(python_exe), "-I", "-S", "-c", _HOLD_MAPPED, os.fspath(so_path)]
    with _holding(argv, f"mapping {so_path}") as proc:
        yield proc


@contextmanager
def hold_open(python_exe: Path, file_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process with `file_path` open (open() for a file, os.open for a directory)."""
    argv = [os.fspath(python_exe), "-I", "-S", "-c", _HOLD_OPEN, os.fspath(file_path)]
    with _holding(argv, f"opening {file_path}") as proc:
        yield proc


@contextmanager
def hold_cwd(python_exe: Path, dir_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process whose current directory is `dir_path`."""
    argv = [os.fspath(python_exe), "-I", "-S", "-c", _HOLD_CWD, os.fspath(dir_path)]
    with _holding(argv, f"with cwd {dir_path}") as proc:
        yield proc


def attempt(
    lib: Path,
    op: str,
    *paths: Path,
    python_exe: Optional[Path] = None,
    log: Optional[Path] = None,
    disable: bool = False,
) -> int:
    """Run one file operation in a fresh preloaded Python process; return 0 or its errno.

    `op` is one of unlink, unlinkat, rmdir, rmdirat (unlinkat with AT_REMOVEDIR), remove (C
    remove()), rename, renameat, renameat2, exchange (renameat2 RENAME_EXCHANGE), rmtree.
    """
    env = preload_env({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, lib, log=log)
    if disable:
        env["NTFSEMU_DISABLE"] = "1"
    python = os.fspath(python_exe or sys.executable)
    proc = subprocess.run(
        [python, "-I", "-S", "-c", _ATTEMPT, op, *map(os.fspath, paths)],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"attempt {op} crashed ({proc.returncode}):\n{proc.stderr}")
    return int(proc.stdout.strip())


# ---------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class NtfsemuKit:
    """Everything `build_*` makes: the preload library, the holder exe, the extension .so."""

    lib: Path
    holder: Path
    extension: Path


_BUILT: dict[Path, NtfsemuKit] = {}


def _kit(factory: pytest.TempPathFactory) -> NtfsemuKit:
    """Build everything once per session (even if a test module imports the fixtures)."""
    require(shutil.which("gcc") is not None, "gcc, to build the ntfsemu LD_PRELOAD library")
    base = factory.getbasetemp()
    if base not in _BUILT:
        out = factory.mktemp("ntfsemu")
        _BUILT[base] = NtfsemuKit(
            lib=build_ntfsemu(out), holder=build_holder(out), extension=build_extension(out)
        )
    return _BUILT[base]


@pytest.fixture(scope="session")
def ntfsemu_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to the compiled libntfsemu.so (set it as LD_PRELOAD, e.g. with `preload_env`)."""
    return _kit(tmp_path_factory).lib


@pytest.fixture(scope="session")
def ntfsemu(tmp_path_factory: pytest.TempPathFactory) -> NtfsemuKit:
    """The library plus the holder exe and the extension .so to copy into an env and hold."""
    return _kit(tmp_path_factory)
