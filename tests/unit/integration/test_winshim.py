"""The Windows uv.exe: distlib's launcher + `#!python` + a zip with __main__.py, built on any OS."""

from __future__ import annotations

import io
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from venvshim.integration import winshim


def test_exe_layout_is_what_the_distlib_launcher_reads() -> None:
    launcher = resources.files("distlib").joinpath("t64.exe").read_bytes()
    python = r"C:\Users\Jö Doe\AppData\Roaming\uv\tools\venvshim\Scripts\python.exe"
    data = winshim.build_exe(python=python, launcher=launcher)
    assert data.startswith(b"MZ") and data[: len(launcher)] == launcher
    rest = data[len(launcher) :]
    shebang, _, _archive = rest.partition(b"\n")
    assert shebang == b'#!"' + python.encode() + b'"'  # quoted: the path has a space
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the archive is found from the end
        main = zf.read("__main__.py").decode()
    assert "venvshim-shim" in main and "from venvshim.integration.winshim import main" in main
    assert winshim.build_exe(python=python, launcher=launcher) == data  # reproducible
    assert winshim.build_exe(python=r"C:\py\python.exe", launcher=b"MZ").split(b"\n")[0] == (
        b"MZ#!C:\\py\\python.exe"
    )


@pytest.mark.parametrize(
    ("machine", "bits", "name"),
    [("AMD64", 8, "t64.exe"), ("ARM64", 8, "t64-arm.exe"), ("x86", 4, "t32.exe")],
)
def test_launcher_choice(machine: str, bits: int, name: str) -> None:
    assert winshim.launcher_name(machine, bits) == name
    assert resources.files("distlib").joinpath(name).is_file()


def test_write_exe_replaces_in_place(tmp_path: Path) -> None:
    target = tmp_path / "uv.exe"
    winshim.write_exe(target, b"one")
    winshim.write_exe(target, b"two")
    assert target.read_bytes() == b"two" and sorted(p.name for p in tmp_path.iterdir()) == [
        "uv.exe"
    ]


def test_install_exe(tmp_path: Path) -> None:
    exe = winshim.install_exe(tmp_path, python=r"C:\py\python.exe")
    assert exe.name == "uv.exe" and exe.read_bytes().startswith(b"MZ")


def test_main_finds_the_real_uv_and_hands_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shim_dir = tmp_path / "shim"
    real_dir = tmp_path / "real"
    for d in (shim_dir, real_dir):
        d.mkdir()
        (d / "uv").write_text("#!/bin/sh\n")
        (d / "uv").chmod(0o755)
    (shim_dir / ".venvshim-shim-dir").write_text("")
    monkeypatch.setenv("PATH", f"{shim_dir}{':'}{real_dir}")
    monkeypatch.delenv("VENVSHIM_REAL_UV", raising=False)
    monkeypatch.setattr(sys, "argv", [str(shim_dir / "uv"), "sync", "-p", "3.11"])
    monkeypatch.chdir(tmp_path)
    seen: list[list[str]] = []

    def fake_entry(argv: list[str]) -> None:
        seen.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr("venvshim.intercept.entry.main", fake_entry)
    with pytest.raises(SystemExit):
        winshim.main()
    assert seen == [
        [str(real_dir / "uv"), str(shim_dir / "uv.exe"), str(tmp_path), "sync", "-p", "3.11"]
    ]


def test_main_without_a_real_uv_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("VENVSHIM_REAL_UV", raising=False)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "uv.exe")])
    with pytest.raises(SystemExit) as info:
        winshim.main([])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nhint: " in err
