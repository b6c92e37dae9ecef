"""The sh front end's cached "keep" verdicts: used when nothing changed, never when something
that can change uv's decision did (then the shim decides afresh and tombstones)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import run, venv_version
from tests.e2e.conftest import synced_project, tombstones_in
from venvshim.intercept.fastpath import FILE

OLD = time.time() - 3600


def _backdate(*paths: Path) -> None:
    for p in paths:
        os.utime(p, (OLD, OLD), follow_symlinks=False)


def _fast_file(env: dict[str, str], proj: Path) -> Path:
    return Path(env["VENVSHIM_HOME"] + "/fast" + str(proj)) / FILE


@pytest.fixture
def warm(tmp_path: Path, shim_env: dict[str, str], real_uv: Path):  # type: ignore[no-untyped-def]
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    venv = proj / ".venv"
    _backdate(
        proj / "pyproject.toml",
        proj / "uv.lock",
        venv,
        venv / "pyvenv.cfg",
        venv / "bin" / "python",
        *venv.glob("lib/python3.*/site-packages"),  # a verdict also means "nothing removed"
    )
    for argv in (["sync"], ["run", "python", "-c", "pass"]):
        assert run(["uv", *argv], env=env, cwd=proj).returncode == 0
    fast = _fast_file(env, proj)
    assert fast.is_file()
    return proj, env, fast


def test_hit_does_not_start_python(warm) -> None:  # type: ignore[no-untyped-def]
    proj, env, fast = warm
    before = fast.stat().st_mtime_ns
    for argv in (["sync"], ["run", "python", "-c", "print(1)"], ["run", "true"]):
        assert run(["uv", *argv], env=env, cwd=proj).returncode == 0
    assert fast.stat().st_mtime_ns == before  # Python would have rewritten it
    assert tombstones_in(proj) == []


def _switch_happened(proj: Path, env: dict[str, str], argv: list[str], want: str) -> None:
    proc = run(["uv", *argv], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert venv_version(proj / ".venv") == want
    (tomb,) = tombstones_in(proj)  # tombstoned, not replaced in place
    assert venv_version(tomb) == "3.10"


def test_new_version_file(warm) -> None:  # type: ignore[no-untyped-def]
    proj, env, _ = warm
    (proj / ".python-version").write_text("3.11\n")
    _switch_happened(proj, env, ["sync"], "3.11")


def test_version_file_in_parent_dir(warm, real_uv: Path) -> None:  # type: ignore[no-untyped-def]
    """A new file the verdict watches sends sh back to Python, which asks uv; uv 0.13 ignores a
    version file above the project, so the env is kept, exactly as plain uv keeps it."""
    proj, env, fast = warm
    (proj.parent / ".python-version").write_text("3.12\n")
    _backdate(proj.parent / ".python-version")  # old enough to be cached again
    before = fast.stat().st_mtime_ns
    proc = run(
        ["uv", "run", "python", "-c", "import sys; print(sys.version_info[:2])"], env=env, cwd=proj
    )
    plain = run(
        [real_uv, "run", "python", "-c", "import sys; print(sys.version_info[:2])"],
        env=env,
        cwd=proj,
    )
    assert proc.stdout == plain.stdout == "(3, 10)\n"
    assert tombstones_in(proj) == []
    assert fast.stat().st_mtime_ns != before  # Python re-decided (and re-cached)


def test_env_var(warm) -> None:  # type: ignore[no-untyped-def]
    proj, env, _ = warm
    _switch_happened(proj, {**env, "UV_PYTHON": "3.11"}, ["sync"], "3.11")


def test_old_file_renamed_over_pyproject(warm) -> None:  # type: ignore[no-untyped-def]
    """`mv`/`cp -p` keep an OLD mtime: the stamp equality check still notices."""
    proj, env, _ = warm
    new = proj / "pyproject.new"
    text = (proj / "pyproject.toml").read_text().replace('">=3.9"', '"==3.12.*"')
    new.write_text(text)
    os.utime(new, (OLD - 7200, OLD - 7200))
    os.replace(new, proj / "pyproject.toml")
    _switch_happened(proj, env, ["sync"], "3.12")


def test_base_interpreter_gone(warm, tmp_path: Path, pythons: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    proj, env, _ = warm
    link = proj / ".venv" / "bin" / "python"
    fake_base = tmp_path / "gone" / "python3.10"
    fake_base.parent.mkdir()
    shutil.copy2(pythons["3.10"], fake_base)
    link.unlink()
    link.symlink_to(fake_base)
    shutil.rmtree(fake_base.parent)
    proc = run(["uv", "sync", "-p", "3.10"], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert run([proj / ".venv" / "bin" / "python", "-c", "pass"], env=env, cwd=proj).returncode == 0
    assert len(tombstones_in(proj)) == 1


def test_script_path_never_uses_generic_run_entry(warm) -> None:  # type: ignore[no-untyped-def]
    """`uv run other/x.py` discovers the project from the script: not this dir's verdict."""
    proj, env, _ = warm
    other = proj.parent / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text(
        '[project]\nname = "other"\nversion = "0"\nrequires-python = ">=3.12"\n'
        "dependencies = []\n[tool.uv]\npackage = false\n"
    )
    (other / "x.py").write_text("import sys; print(sys.version_info[:2])\n")
    proc = run(["uv", "run", "../other/x.py"], env=env, cwd=proj)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("(3, 12)", "(3, 13)")
