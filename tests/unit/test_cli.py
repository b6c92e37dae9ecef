"""Every subcommand through dispatch, and the error boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from venvshim.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENVSHIM_HOME", str(tmp_path / "state"))


def test_status_and_gc_when_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    assert capsys.readouterr().out.strip() == "No tombstones"
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["gc", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["gc", "--dry-run"]) == 0


def test_install_writes_a_stamped_shim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shim_dir = tmp_path / "my shims" / "bïn"
    assert main(["install", "--shim-dir", str(shim_dir), "--no-modify-path", "--dry-run"]) == 0
    assert "Would write" in capsys.readouterr().out and not shim_dir.exists()
    assert main(["install", "--shim-dir", str(shim_dir), "--no-modify-path"]) == 0
    text = (shim_dir / "uv").read_text()
    assert text.startswith("#!/bin/sh\n# venvshim-shim") and "@PYTHON@" not in text
    assert (shim_dir / ".venvshim-shim-dir").exists()
    assert main(["install", "--shim-dir", str(shim_dir), "--no-modify-path"]) == 0  # idempotent


def test_install_refuses_to_overwrite_real_uv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "uv").write_bytes(b"\x7fELF the real uv")
    assert main(["install", "--shim-dir", str(tmp_path), "--no-modify-path"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nhint: " in err
    assert (tmp_path / "uv").read_bytes() == b"\x7fELF the real uv"


def test_install_without_no_modify_path_points_to_installer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["install", "--shim-dir", str(tmp_path)]) == 1
    assert "install.sh" in capsys.readouterr().err


def test_bad_usage_exits_2_in_uv_s_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unrecognized subcommand 'frobnicate'\n")
    assert main(["stauts"]) == 2
    assert "  tip: a similar subcommand exists: 'status'" in capsys.readouterr().err
    assert main(["gc", "--dryrun"]) == 2
    err = capsys.readouterr().err
    assert "error: unexpected argument '--dryrun' found" in err
    assert "  tip: a similar argument exists: '--dry-run'" in err
    assert err.rstrip().endswith("For more information, try '--help'.")


def test_every_subcommand_through_dispatch_and_the_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every subcommand: its help, and with a state root that is a file, one `error:` and a
    `hint:` (never a traceback) wherever it needs that state root."""
    from venvshim import cli

    assert cli.COMMANDS == ("status", "gc", "doctor", "install", "uninstall")
    broken = tmp_path / "state-is-a-file"
    broken.write_text("")
    monkeypatch.setenv("VENVSHIM_HOME", str(broken))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    shim_dir = tmp_path / "shims"
    argvs = {
        "status": (["status"], 1),
        "gc": (["gc", "--dry-run"], 1),
        "doctor": (["doctor", "--json"], 1),
        "install": (["install", "--shim-dir", str(shim_dir), "--modify-path", "--dry-run"], 1),
        "uninstall": (["uninstall", "--dry-run"], 1),
    }
    assert set(argvs) == set(cli.COMMANDS)
    for name in cli.COMMANDS:
        assert main([name, "--help"]) == 0
        assert main(["help", name]) == 0
        capsys.readouterr()
        argv, code = argvs[name]
        assert main(argv) == code, name
        out, err = capsys.readouterr()
        said = out if name == "doctor" else err
        assert "error" in said and "hint" in said, (name, out, err)
        assert "Traceback" not in out + err, name
