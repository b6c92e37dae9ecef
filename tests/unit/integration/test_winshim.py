"""The Windows shim directory, written on any OS: the native front end uv.exe, its config, the
stamp; and the front end's copy of uv's grammar, checked against uv.sh's and uvargs'.
(tests/wine/ runs all of it under Wine.)"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from venvshim.cli import main
from venvshim.commands.install import BOOT, import_roots
from venvshim.integration import winshim
from venvshim.intercept import decision, frontend, uvargs
from venvshim.intercept.realuv import SHIM_DIR_MARKER, is_shim

FRONT = Path(winshim.__file__).resolve().parent.parent / "intercept" / "front"


def test_config_format() -> None:
    data = winshim.render_config(python="C:\\Py 3\\python.exe", args=["-I", "-c", "print('é')"])
    assert data == (
        b"venvshim-front 1\n"
        b"python 18:C:\\Py 3\\python.exe\n"
        b"arg 2:-I\n"
        b"arg 2:-c\n"
        b"arg 11:print('\xc3\xa9')\n"
        b"state 23:%LOCALAPPDATA%\\venvshim\n"
    )
    with pytest.raises(ValueError):
        winshim.render_config(python="", args=[])
    with pytest.raises(ValueError):
        winshim.render_config(python="p", args=["x"] * 17)


def test_state_default_is_state_default_home() -> None:
    from venvshim import state

    home = state.default_home({"LOCALAPPDATA": "C:\\Users\\me\\AppData\\Local"}, "win32")
    expanded = winshim.STATE_DEFAULT.replace("%LOCALAPPDATA%", "C:\\Users\\me\\AppData\\Local")
    assert str(home).replace("/", "\\") == expanded


def test_install_platform_windows_writes_the_windows_shim_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shim_dir = tmp_path / "my shims" / "bïn"
    args = ["install", "--shim-dir", str(shim_dir), "--no-modify-path", "--platform", "windows"]
    assert main([*args, "--dry-run"]) == 0
    assert "Would write" in capsys.readouterr().out and not shim_dir.exists()
    assert main(args) == 0
    assert sorted(p.name for p in shim_dir.iterdir()) == sorted(
        [SHIM_DIR_MARKER, winshim.CONFIG, "uv.exe"]
    )
    exe = (shim_dir / "uv.exe").read_bytes()
    assert exe == (FRONT / "uv.exe").read_bytes() and exe.startswith(b"MZ")
    boot = BOOT.format(path=import_roots())
    assert (shim_dir / winshim.CONFIG).read_bytes() == winshim.render_config(
        python=sys.executable, args=["-I", "-S", "-c", boot]
    )
    assert main(args) == 0  # idempotent
    # A copy anywhere is known for a shim (the stamp in the DOS stub), the real uv is not.
    copy = tmp_path / "elsewhere" / "uv.exe"
    copy.parent.mkdir()
    shutil.copyfile(shim_dir / "uv.exe", copy)
    assert is_shim(copy)


def test_install_windows_refuses_to_overwrite_real_uv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "uv.exe").write_bytes(b"MZ the real uv")
    args = ["install", "--shim-dir", str(tmp_path), "--no-modify-path", "--platform", "windows"]
    assert main(args) == 1
    assert "is not a venvshim shim" in capsys.readouterr().err
    assert (tmp_path / "uv.exe").read_bytes() == b"MZ the real uv"


@pytest.mark.skipif(sys.platform == "win32", reason="the foreign platform is POSIX there")
def test_a_foreign_shim_is_never_hooked_into_this_system(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["install", "--shim-dir", str(tmp_path / "s"), "--modify-path", "--platform", "windows"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--no-modify-path" in err
    assert not (tmp_path / "s").exists()


def test_write_exe_replaces_in_place(tmp_path: Path) -> None:
    target = tmp_path / "uv.exe"
    winshim.write_exe(target, b"one")
    winshim.write_exe(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uv.exe"]


def _c_list(source: str, name: str) -> list[str]:
    m = re.search(rf"{name}\[\] = \{{(.*?)\}};", source, re.S)
    assert m, name
    return re.findall(r'L"([^"]*)"', m.group(1))


def test_the_front_ends_know_the_same_grammar() -> None:
    """uv_windows.c classifies exactly as the rendered uv.sh does: both follow the tables that
    own the grammar (uvargs, decision, through intercept/frontend.py)."""
    c = (FRONT / "uv_windows.c").read_text(encoding="utf-8")
    assert set(_c_list(c, "GLOBAL_VALUE")) == uvargs.GLOBAL_VALUE
    assert set(_c_list(c, "INTERCEPTED")) == frontend.decided_by_python()
    assert set(_c_list(c, "PASSED_ON")) == frontend.passed_to_uv()
    assert set(_c_list(c, "NESTED")) == set(uvargs.NESTED_SUBCOMMANDS)
    for command, subcommands in uvargs.NESTED_SUBCOMMANDS.items():
        decided = decision.NESTED_INTERCEPTED[command]
        assert set(_c_list(c, f"{command.upper()}_INTERCEPTED")) == decided
        assert set(_c_list(c, f"{command.upper()}_PASSED_ON")) == subcommands - decided
