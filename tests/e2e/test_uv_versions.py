"""Never fail open, whatever uv says: a uv whose words venvshim has never seen, a uv that answers
nothing useful, and the uv releases that would delete a user's directory.

A "future uv" here is the real uv 0.13.9 behind a small wrapper that reports another version and
rewords its dry-run answer (`--dry-run` output goes through sed): the environment is real, the
decision has to be made without the words it knows.
"""

from __future__ import annotations

import json
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, run, venv_version
from tests.e2e.conftest import synced_project, tombstones_in, venvshim
from tests.support.ntfsemu import NtfsemuKit, hold_exe
from tests.support.uvversions import fetch
from venvshim.intercept import decision, uvargs
from venvshim.state import StateRoot

pytest_plugins = ["tests.support.ntfsemu"]

FUTURE = r"""#!/bin/sh
# uv "0.99.0": the real uv, reworded
case " $* " in
  *" --version "*|*" -V "*) echo "uv 0.99.0 (future)"; exit 0 ;;
esac
case " $* " in
  *" --dry-run "*)
    {{ "{real}" "$@" 2>&1 >/dev/null; echo "exit=$?"; }} | sed \
      -e 's/^Would replace project environment at:/The environment will be rebuilt in/' \
      -e 's/^Would use project environment at:/Keeping the environment in/' \
      -e 's/^Would create project environment at:/A new environment goes to/' >&2
    exit 0 ;;
  *" python find "*) {python_find} ;;
esac
exec "{real}" "$@"
"""


def _future_uv(where: Path, real_uv: Path, *, python_find: str = 'exec "{real}" "$@"') -> Path:
    uv = where / "uv"
    where.mkdir(parents=True, exist_ok=True)
    uv.write_text(FUTURE.format(real=real_uv, python_find=python_find.format(real=real_uv)))
    uv.chmod(uv.stat().st_mode | stat.S_IXUSR)
    return uv


def _plan(uv: Path, argv: list[str], proj: Path, env: dict[str, str]) -> decision.Plan:
    state = StateRoot(Path(env["VENVSHIM_HOME"]))
    return decision.plan(str(uv), uvargs.parse(argv), cwd=proj, env=env, state=state.ensure())


def test_words_never_seen_are_decided_without_them(
    tmp_path: Path, env: dict[str, str], real_uv: Path
) -> None:
    """An answer in no known wording is never "keep": the wording-free question decides."""
    uv = _future_uv(tmp_path / "future", real_uv)
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    said = run([uv, "sync", "--dry-run", "-p", "3.11"], env=env, cwd=proj).stderr
    assert "The environment will be rebuilt in" in said and "Would replace" not in said
    replace = _plan(uv, ["sync", "-p", "3.11"], proj, env)
    assert (replace.action, replace.reason) == ("replace", "other interpreter"), replace
    keep = _plan(uv, ["sync"], proj, env)
    assert (keep.action, keep.reason) == ("keep", "same interpreter"), keep


def test_a_uv_that_answers_nothing_useful_is_protected_not_passed_through(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, ntfsemu: NtfsemuKit
) -> None:
    """Neither its dry-run nor `python find` can be read: the switch is protected (the env moved
    aside, the program holding it still running), never left to uv in place."""
    uv = _future_uv(tmp_path / "future", real_uv, python_find='echo "who knows"; exit 0')
    env = {**shim_env, "VENVSHIM_REAL_UV": str(uv), "VENVSHIM_NO_BACKGROUND_GC": "1"}
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    assert _plan(uv, ["sync", "-p", "3.11"], proj, env).reason == "unsure"
    tool = proj / ".venv" / "bin" / "tool"
    shutil.copy2(ntfsemu.holder, tool)
    with hold_exe(tool) as holder:
        proc = run(["uv", "sync", "-p", "3.11"], env=env, cwd=proj)
        assert proc.returncode == 0, proc.stderr
        assert "could not tell" in proc.stderr and "warning: " in proc.stderr
        (tomb,) = tombstones_in(proj)
        assert venv_version(tomb) == "3.10" and venv_version(proj / ".venv") == "3.11"
        assert holder.poll() is None and (tomb / "bin" / "tool").is_file()


def test_doctor_says_whether_it_understands_the_real_uv(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path
) -> None:
    ok = venvshim(["doctor", "--json"], env=shim_env, cwd=tmp_path)
    checks = {c["name"]: c for c in json.loads(ok.stdout)}
    assert checks["real uv"]["ok"] and "understood" in checks["real uv"]["detail"]
    assert "0.13.9" in checks["real uv"]["detail"]
    blind = _future_uv(tmp_path / "future", real_uv, python_find='echo "who knows"; exit 0')
    bad = venvshim(["doctor", "--json"], env={**shim_env, "VENVSHIM_REAL_UV": str(blind)},
                   cwd=tmp_path)  # fmt: skip
    checks = {c["name"]: c for c in json.loads(bad.stdout)}
    assert bad.returncode == 1 and not checks["real uv"]["ok"]
    assert "0.99.0" in checks["real uv"]["detail"] and checks["real uv"]["hint"]


def _user_dir(proj: Path) -> Path:
    user = proj / "mydata"
    (user / "results").mkdir(parents=True)
    (user / "results" / "run1.csv").write_text("1,2,3\n")
    return user


@pytest.mark.parametrize("version", ["0.11.33", "0.13.9"])
def test_venv_clear_never_deletes_a_users_directory(
    tmp_path: Path, shim_env: dict[str, str], version: str
) -> None:
    """uv 0.8 - 0.11 deletes a directory that is not a venv on `uv venv --clear DIR`: refused."""
    release = fetch(version)
    env = {**shim_env, "VENVSHIM_REAL_UV": str(release)}
    proj = make_project(tmp_path / "proj")
    twin = make_project(tmp_path / "twin")
    user, twin_user = _user_dir(proj), _user_dir(twin)
    plain = run([release, "venv", "--clear", "mydata"], env=env, cwd=twin)
    shimmed = run(["uv", "venv", "--clear", "mydata"], env=env, cwd=proj)
    assert (user / "results" / "run1.csv").read_text() == "1,2,3\n"
    if version == "0.11.33":
        assert not (twin_user / "results").exists(), plain.stderr  # plain uv deleted it
        assert shimmed.returncode == 1 and shimmed.stderr.startswith("error: "), shimmed.stderr
        assert "\nhint: " in shimmed.stderr and "not a virtual environment" in shimmed.stderr
    else:
        assert (shimmed.returncode, shimmed.stderr) == (plain.returncode, plain.stderr)


def test_run_active_inline_script_never_empties_a_users_directory(
    tmp_path: Path, shim_env: dict[str, str]
) -> None:
    """uv before 0.13.6 empties VIRTUAL_ENV for `uv run --active` of a script with inline
    metadata, even when it is not a venv: refused."""
    release = fetch("0.12.24")
    proj = make_project(tmp_path / "proj")
    user = _user_dir(proj)
    (proj / "s.py").write_text("# /// script\n# dependencies = []\n# ///\nprint('hi')\n")
    env = {**shim_env, "VENVSHIM_REAL_UV": str(release), "VIRTUAL_ENV": str(user)}
    shimmed = run(["uv", "run", "--active", "s.py"], env=env, cwd=proj)
    assert shimmed.returncode == 1 and "not a virtual environment" in shimmed.stderr
    assert (user / "results" / "run1.csv").read_text() == "1,2,3\n"
    assert sys.executable  # the same command without --active runs as plain uv does
    ok = run(["uv", "run", "s.py"], env={**env, "VIRTUAL_ENV": ""}, cwd=proj)
    assert ok.returncode == 0 and ok.stdout == "hi\n", ok.stderr
