"""doctor's checks that end in a warning say what to do about it (a `hint:`), on the paths the
end-to-end doctor tests do not reach: a shell venvshim has no hook for, a login
shell that never answers, an install without rc blocks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from venvshim.integration import checks


def test_a_shell_without_a_hook_is_a_warning_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"HOME": str(tmp_path), "PATH": os.defpath}
    for shell in ["/bin/tcsh", None]:  # which shell: shellingham's answer, else $SHELL
        monkeypatch.setattr(checks.startup, "user_shell", lambda env, shell=shell: shell)
        check = checks.check_login_shell(env, tmp_path, timeout=5)
        assert check.status == "warning", check
        assert "not checked" in check.detail and check.hint, check


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_login_shell_that_never_answers_is_a_warning_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".bash_profile").write_text("sleep 30\n")
    bash = str(shutil.which("bash"))
    monkeypatch.setattr(checks.startup, "user_shell", lambda env: bash)
    env = {"HOME": str(tmp_path), "PATH": os.defpath}
    check = checks.check_login_shell(env, tmp_path, timeout=0.5)
    assert check.status == "warning" and "did not answer" in check.detail, check
    assert "startup file" in check.hint


def test_no_install_record_is_a_warning_with_a_hint() -> None:
    check = checks.check_hooks(None, platform="linux")
    assert check.status == "warning" and "install" in check.hint, check


def test_the_path_hint_is_a_line_for_this_shell_whatever_the_directory_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    shim_dir = tmp_path / "it's $(here)"
    real = tmp_path / "uv"
    env = {"PATH": str(tmp_path)}
    check = checks.check_path(env, [real], shim_dir)
    line = check.hint.split("`")[1]
    assert shlex.split(line) == ["export", f"PATH={shim_dir}:$PATH"]  # one word, nothing expanded
    monkeypatch.setattr(checks.os, "name", "nt")
    check = checks.check_path(env, [real], shim_dir)
    quoted = str(shim_dir).replace("'", "''")
    assert f"$env:Path = '{quoted};' + $env:Path" in check.hint
