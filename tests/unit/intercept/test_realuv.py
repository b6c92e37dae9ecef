"""find_real_uv with PATH/PATHEXT faked: Windows lookup rules are tested on Linux at this seam."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvshim.errors import VenvshimError
from venvshim.intercept.realuv import SHIM_DIR_MARKER, find_real_uv, is_shim


def _exe(path: Path, content: bytes = b"\x7fELF real uv") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o755)
    return path


def test_skips_own_shim_dir_and_copies(tmp_path: Path) -> None:
    shim = _exe(tmp_path / "shim" / "uv", b"#!/bin/sh\n# venvshim-shim\n")
    (tmp_path / "shim" / SHIM_DIR_MARKER).write_text("")
    copy = _exe(tmp_path / "copy" / "uv", b"#!/bin/sh\n# venvshim-shim: a copy elsewhere\n")
    real = _exe(tmp_path / "real" / "uv")
    path = ":".join(str(p.parent) for p in (shim, copy, real))
    assert find_real_uv(env={"PATH": path}, skip=shim, windows=False) == real
    assert is_shim(copy) and is_shim(shim) and not is_shim(real)


def test_only_shims_is_a_clear_error(tmp_path: Path) -> None:
    shim = _exe(tmp_path / "shim" / "uv", b"#!/bin/sh\n# venvshim-shim\n")
    with pytest.raises(VenvshimError) as info:
        find_real_uv(env={"PATH": str(shim.parent)}, skip=shim, windows=False)
    assert info.value.hint and "VENVSHIM_REAL_UV" in info.value.hint


def test_explicit_real_uv(tmp_path: Path) -> None:
    real = _exe(tmp_path / "x" / "uv-0.13")
    assert find_real_uv(env={"VENVSHIM_REAL_UV": str(real), "PATH": ""}) == real
    shim = _exe(tmp_path / "s" / "uv", b"# venvshim-shim\n")
    with pytest.raises(VenvshimError):
        find_real_uv(env={"VENVSHIM_REAL_UV": str(shim)})


def test_windows_pathext_and_semicolons(tmp_path: Path) -> None:
    cmd = _exe(tmp_path / "a" / "uv.cmd", b"@echo off\n")  # never a real uv, never a shim
    exe = _exe(tmp_path / "b" / "uv.exe")
    env = {"PATH": f"{cmd.parent};{exe.parent}", "PATHEXT": ".COM;.EXE;.BAT;.CMD"}
    assert find_real_uv(env=env, windows=True) == exe


def test_one_search_for_every_caller(tmp_path: Path) -> None:
    """find_real_uv, doctor's list and the Windows installer's machine-PATH check read PATH and
    PATHEXT the same way: `;` on Windows, `.exe`/`.com` only, in PATH order."""
    from venvshim.integration import winpath
    from venvshim.intercept.realuv import uv_names, uv_on_path

    first, second = tmp_path / "a", tmp_path / "b"
    for d in (first, second):
        d.mkdir()
    (first / "uv.cmd").write_text("@echo off\n")
    (second / "uv.EXE".lower()).write_bytes(b"MZ")
    env = {"PATH": f"{first};{second}", "PATHEXT": ".CMD;.EXE;.COM"}
    assert uv_names(env, windows=True) == ["uv.exe", "uv.com"]
    assert uv_on_path(env, windows=True) == [second / "uv.exe"]
    assert find_real_uv(env=env, windows=True) == second / "uv.exe"
    found = winpath.find_uv(
        [str(first), str(second)], env, lambda p: Path(p.replace("\\", "/")).is_file()
    )
    assert found == str(second)
