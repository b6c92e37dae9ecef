"""Windows PATH decisions for the shim directory, as pure functions (tested on any OS).

Windows builds a process's PATH as the machine PATH (HKLM) followed by the user PATH
(HKCU\\Environment). The user value is read *without* expanding `%VARS%` and written back as
REG_EXPAND_SZ, so entries such as `%USERPROFILE%\\.cargo\\bin` stay as the user wrote them. When
uv is on the machine PATH, nothing in the user PATH can come before it: then the installer says so
and falls back to a `$PROFILE` hook, which fixes PATH inside PowerShell at every prompt.

The registry and the WM_SETTINGCHANGE broadcast are the few lines at the bottom (Windows only).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_VAR = re.compile(r"%([^%;]+)%")


def expand(entry: str, env: Mapping[str, str]) -> str:
    """%VAR% expansion like ExpandEnvironmentStrings (names case-insensitive, unknown kept)."""
    lowered = {k.lower(): v for k, v in env.items()}
    return _VAR.sub(lambda m: lowered.get(m.group(1).lower(), m.group(0)), entry)


def norm(entry: str, env: Mapping[str, str]) -> str:
    """Comparable form: expanded, quotes and trailing separators dropped, case folded."""
    value = expand(entry.strip().strip('"'), env).replace("/", "\\")
    if len(value) > 3:  # keep `C:\`
        value = value.rstrip("\\")
    return value.casefold()


def split(value: str | None) -> list[str]:
    return [e for e in (value or "").split(";") if e.strip()]


def unexpanded(directory: str, env: Mapping[str, str]) -> str:
    """`%LOCALAPPDATA%\\venvshim\\bin` rather than the expanded path, when it is under it."""
    for var in ("LOCALAPPDATA", "USERPROFILE"):
        base = env.get(var)
        if base and norm(directory, env).startswith(norm(base, env) + "\\"):
            return f"%{var}%" + directory[len(base.rstrip("\\/")) :]
    return directory


def find_uv(
    entries: list[str], env: Mapping[str, str], is_file: Callable[[str], bool]
) -> str | None:
    """The first directory in `entries` (registry PATH entries, %VAR% unexpanded) holding uv,
    by realuv's names for Windows, or None."""
    from ..intercept.realuv import uv_names

    names = uv_names(env, windows=True)
    for entry in entries:
        directory = expand(entry.strip().strip('"'), env)
        if any(is_file(directory.rstrip("\\/") + "\\" + name) for name in names):
            return directory
    return None


@dataclass
class Plan:
    """What to do to the registry's user PATH for a shim directory."""

    new_user_path: str | None  # None: leave the value as it is
    uv_on_machine_path: str | None  # the directory, when uv hides in front of the user PATH
    profile_hook: bool
    messages: list[str] = field(default_factory=list)


def plan_install(
    *,
    user_path: str | None,
    machine_path: str,
    shim_dir: str,
    env: Mapping[str, str],
    is_file: Callable[[str], bool],
) -> Plan:
    target = norm(shim_dir, env)
    entries = split(user_path)
    rest = [e for e in entries if norm(e, env) != target]
    wanted = [unexpanded(shim_dir, env), *rest]
    if entries and norm(entries[0], env) == target and len(rest) == len(entries) - 1:
        new = None  # already first, and only once
    else:
        new = ";".join(wanted)
    messages = []
    uv_dir = find_uv(split(machine_path), env, is_file)
    if uv_dir is not None:
        messages.append(
            f"uv is on the machine PATH ({uv_dir}), which Windows puts before the user PATH: "
            "programs started outside PowerShell will find that uv, not the shim"
        )
        messages.append(
            "added a $PROFILE hook that puts the shim first in every PowerShell; to cover "
            "everything else, remove uv's directory from the machine PATH (System Properties > "
            "Environment Variables, as an administrator) or reinstall uv per user"
        )
    return Plan(new, uv_dir, uv_dir is not None, messages)


def plan_uninstall(*, user_path: str | None, shim_dir: str, env: Mapping[str, str]) -> str | None:
    """The user PATH without the shim directory; None if it is not in there."""
    target = norm(shim_dir, env)
    entries = split(user_path)
    rest = [e for e in entries if norm(e, env) != target]
    if len(rest) == len(entries):
        return None
    return ";".join(rest)


def profile_paths(documents: str) -> list[str]:
    """The all-hosts profile of each edition: Windows PowerShell 5.1 and PowerShell 7."""
    base = documents.rstrip("\\/")
    return [base + "\\WindowsPowerShell\\profile.ps1", base + "\\PowerShell\\profile.ps1"]


if sys.platform == "win32":
    import ctypes
    import winreg
    from ctypes import wintypes

    _ENV_KEY = "Environment"
    _MACHINE_KEY = r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

    def read_user_path() -> str | None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _ENV_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, "Path")  # never expanded by winreg
        except FileNotFoundError:
            return None
        return str(value)

    def read_machine_path() -> str:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _MACHINE_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, "Path")
        except OSError:
            return ""
        return str(value)

    def write_user_path(value: str | None) -> None:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _ENV_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if value:
                winreg.SetValueEx(key, "Path", 0, winreg.REG_EXPAND_SZ, value)
            else:
                try:
                    winreg.DeleteValue(key, "Path")
                except FileNotFoundError:
                    pass
        broadcast_environment_change()

    def broadcast_environment_change() -> None:
        """WM_SETTINGCHANGE "Environment": Explorer re-reads it, so new programs see the PATH."""
        result = wintypes.DWORD()
        ctypes.windll.user32.SendMessageTimeoutW(
            0xFFFF, 0x001A, 0, "Environment", 0x0002, 5000, ctypes.byref(result)
        )

    def documents_dir() -> str:
        buf = ctypes.create_unicode_buffer(260)
        ctypes.windll.shell32.SHGetFolderPathW(None, 5, None, 0, buf)  # CSIDL_PERSONAL
        return buf.value

else:

    def _unsupported() -> None:
        raise OSError("the Windows registry exists only on Windows")

    def read_user_path() -> str | None:
        _unsupported()
        return None

    def read_machine_path() -> str:
        _unsupported()
        return ""

    def write_user_path(value: str | None) -> None:
        _unsupported()

    def broadcast_environment_change() -> None:
        _unsupported()

    def documents_dir() -> str:
        _unsupported()
        return ""
