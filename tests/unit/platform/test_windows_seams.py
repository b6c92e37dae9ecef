"""The Windows platform module, run on Linux with msvcrt/ctypes faked at the seam."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import pytest


@pytest.fixture
def win(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    locks: dict[int, str] = {}
    fake = types.SimpleNamespace(LK_LOCK=1, LK_NBLCK=2, LK_UNLCK=0)
    held_paths: set[str] = set()
    import os

    def locking(fd: int, mode: int, nbytes: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if mode == fake.LK_UNLCK:
            locks.pop(fd, None)
            return
        if mode == fake.LK_LOCK:  # gives up after ~10 s with EDEADLOCK: never to be used
            raise AssertionError("msvcrt.LK_LOCK used")
        if path in held_paths:
            raise OSError(36, "Resource deadlock avoided")
        locks[fd] = path

    fake.locking = locking
    fake.held_paths = held_paths
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    sys.modules.pop("venvshim.platform.windows", None)
    module = importlib.import_module("venvshim.platform.windows")
    yield module, fake
    sys.modules.pop("venvshim.platform.windows", None)


def test_lock_detection(win, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    module, fake = win
    lock = tmp_path / ".lock"
    lock.write_text("")
    assert module.is_locked_by_other(str(lock)) is False
    fake.held_paths.add(str(lock))  # uv's LockFileEx in another process
    assert module.is_locked_by_other(str(lock)) is True
    assert module.try_lock(str(lock)) is None
    assert module.is_locked_by_other(str(tmp_path / "absent")) is False


def test_lock_waits_by_polling_and_gives_up_at_the_timeout(  # type: ignore[no-untyped-def]
    win, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A held lock is waited for (bounded), and taken as soon as it is free: never LK_LOCK."""
    module, fake = win
    import venvshim.platform as seam

    monkeypatch.setattr(seam, "impl", module)
    lock = tmp_path / "env.lock"
    fake.held_paths.add(str(lock))
    tries: list[float] = []
    release_at = [3]
    real_try = module.try_lock

    def counting(path: str) -> int | None:
        tries.append(1)
        if len(tries) == release_at[0]:
            fake.held_paths.discard(str(lock))  # the other process lets go
        return real_try(path)

    monkeypatch.setattr(module, "try_lock", counting)
    assert seam.lock(str(lock), timeout=0) is None and len(tries) == 1
    fd = seam.lock(str(lock), timeout=30, poll=0.001)
    assert fd is not None and len(tries) == 3
    module.unlock_fd(fd)
    fake.held_paths.add(str(lock))
    tries.clear()
    release_at[0] = 0  # never
    assert seam.lock(str(lock), timeout=0.05, poll=0.001) is None and len(tries) >= 2


def test_exec_runs_child_and_exits_with_its_code(win, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    module, _fake = win
    ignored: list[bool] = []
    monkeypatch.setattr(module, "_ignore_console_events", lambda: ignored.append(True))
    monkeypatch.setattr(module, "_dies_with_us", lambda _child: None)
    codes: list[int] = []

    def fake_exit(code: int) -> None:
        codes.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(module.os, "_exit", fake_exit)
    with pytest.raises(SystemExit):
        module.exec_uv(sys.executable, ["-c", "raise SystemExit(7)"])
    assert codes == [7] and ignored == [True]
    with pytest.raises(SystemExit):
        module.exit_like(-1073741510)  # STATUS_CONTROL_C_EXIT as Python reports it
    assert codes[-1] == 0xC000013A


def test_console_events_are_answered_by_a_handler_never_by_null(  # type: ignore[no-untyped-def]
    win, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SetConsoleCtrlHandler(NULL, TRUE) would be inherited by uv, which would then ignore
    Ctrl+C: the shim installs a handler function (once) that says "handled"."""
    module, _fake = win
    calls: list[tuple[object, bool]] = []
    kernel32 = types.SimpleNamespace(SetConsoleCtrlHandler=lambda h, add: calls.append((h, add)))
    fake_ctypes = types.SimpleNamespace(
        WINFUNCTYPE=lambda *_types: lambda fn: fn,
        windll=types.SimpleNamespace(kernel32=kernel32),
    )
    monkeypatch.setitem(sys.modules, "ctypes", fake_ctypes)
    monkeypatch.setitem(sys.modules, "ctypes.wintypes", types.SimpleNamespace(BOOL=int, DWORD=int))
    fake_ctypes.wintypes = sys.modules["ctypes.wintypes"]  # type: ignore[attr-defined]
    module._ignore_console_events()
    module._ignore_console_events()
    assert len(calls) == 1
    handler, add = calls[0]
    assert handler is not None and add is True
    assert handler(0) is True  # CTRL_C_EVENT: handled here, uv decides for itself


def test_uv_dies_with_the_shim_through_a_job_object(  # type: ignore[no-untyped-def]
    win, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv, run by the Python half, goes into a kill-on-close job object (programs it starts
    break away), so a shim that is killed takes uv with it."""
    module, _fake = win
    calls: list[tuple[str, tuple[object, ...]]] = []

    class Kernel32:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            def call(*args: object) -> int:
                calls.append((name, args))
                return 77  # a job handle

            return call

    monkeypatch.setattr(module, "_kernel32", Kernel32)
    child = types.SimpleNamespace(_handle=1234)
    module._dies_with_us(child)
    names = [name for name, _ in calls]
    assert names == ["CreateJobObjectW", "SetInformationJobObject", "AssignProcessToJobObject"]
    flags = calls[1][1][2]._obj.BasicLimitInformation.LimitFlags
    assert (
        flags
        == module.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | module.JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK
    )
    assert calls[2][1] == (77, 1234) and 77 in module._JOBS
