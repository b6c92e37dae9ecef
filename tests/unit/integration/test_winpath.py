"""Windows PATH decisions: what goes into HKCU\\Environment, and when to fall back to $PROFILE."""

from __future__ import annotations

import pytest

from venvshim.integration import winpath

ENV = {
    "LOCALAPPDATA": r"C:\Users\Jö\AppData\Local",
    "USERPROFILE": r"C:\Users\Jö",
    "PATHEXT": ".COM;.EXE;.BAT;.CMD",
}
SHIM = r"C:\Users\Jö\AppData\Local\venvshim\bin"


def nothing(path: str) -> bool:
    return False


def plan(user: str | None, machine: str = r"C:\Windows\system32", **kw: object) -> winpath.Plan:
    is_file = kw.get("is_file", nothing)
    return winpath.plan_install(
        user_path=user,
        machine_path=machine,
        shim_dir=SHIM,
        env=ENV,
        is_file=is_file,  # type: ignore[arg-type]
    )


def test_new_user_path_keeps_variables_unexpanded() -> None:
    p = plan(r"%USERPROFILE%\.cargo\bin;C:\Tools")
    assert p.new_user_path == r"%LOCALAPPDATA%\venvshim\bin;%USERPROFILE%\.cargo\bin;C:\Tools"
    assert not p.profile_hook and p.uv_on_machine_path is None


def test_missing_or_empty_user_path() -> None:
    assert plan(None).new_user_path == r"%LOCALAPPDATA%\venvshim\bin"
    assert plan("").new_user_path == r"%LOCALAPPDATA%\venvshim\bin"


@pytest.mark.parametrize(
    "first",
    [r"%LOCALAPPDATA%\venvshim\bin", SHIM, SHIM.upper() + "\\", f'"{SHIM}"'],
)
def test_already_first_changes_nothing(first: str) -> None:
    assert plan(f"{first};C:\\Tools").new_user_path is None


def test_moved_to_the_front_and_deduplicated() -> None:
    p = plan(rf"C:\Tools;{SHIM};%USERPROFILE%\bin;{SHIM}\;")
    assert p.new_user_path == r"%LOCALAPPDATA%\venvshim\bin;C:\Tools;%USERPROFILE%\bin"
    assert plan(rf"{SHIM};C:\Tools;{SHIM}").new_user_path == (
        r"%LOCALAPPDATA%\venvshim\bin;C:\Tools"
    )


def test_uv_on_the_machine_path_means_a_profile_hook() -> None:
    uv_dir = r"%ProgramFiles%\uv"
    env_files = {r"C:\Program Files\uv\uv.exe"}
    p = winpath.plan_install(
        user_path=None,
        machine_path=rf"C:\Windows;{uv_dir}",
        shim_dir=SHIM,
        env={**ENV, "ProgramFiles": r"C:\Program Files"},
        is_file=lambda path: path in env_files,
    )
    assert p.profile_hook and p.uv_on_machine_path == r"C:\Program Files\uv"
    assert any("machine PATH" in m for m in p.messages)
    assert p.new_user_path is not None  # the user PATH is still fixed for what it can reach


def test_uninstall_takes_only_the_shim_out() -> None:
    user = rf"%LOCALAPPDATA%\venvshim\bin;C:\Tools;{SHIM}"
    assert winpath.plan_uninstall(user_path=user, shim_dir=SHIM, env=ENV) == r"C:\Tools"
    assert winpath.plan_uninstall(user_path=r"C:\Tools", shim_dir=SHIM, env=ENV) is None
    assert winpath.plan_uninstall(user_path=SHIM, shim_dir=SHIM, env=ENV) == ""


def test_expand_and_norm() -> None:
    assert winpath.expand(r"%localappdata%\x;%NOPE%", ENV) == r"C:\Users\Jö\AppData\Local\x;%NOPE%"
    assert winpath.norm("C:/Users/X/", {}) == winpath.norm(r"c:\users\x", {})
    assert winpath.norm("C:\\", {}) == "c:\\"
    assert winpath.unexpanded(r"D:\shims", ENV) == r"D:\shims"


def test_profile_paths_cover_both_editions() -> None:
    assert winpath.profile_paths("C:\\Users\\Jö\\Documents\\") == [
        r"C:\Users\Jö\Documents\WindowsPowerShell\profile.ps1",
        r"C:\Users\Jö\Documents\PowerShell\profile.ps1",
    ]


def test_registry_adapter() -> None:
    if winpath.sys.platform == "win32":  # pragma: no cover - Windows runners
        assert isinstance(winpath.read_machine_path(), str)
        return
    with pytest.raises(OSError):
        winpath.read_user_path()
