"""decision.py at its seams: which commands are in scope, what uv is asked, the Plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvshim.intercept import decision, plans
from venvshim.intercept.decision import in_scope
from venvshim.intercept.uvargs import parse
from venvshim.intercept.uvfacts import Facts


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["sync"], {}, True),
        (["sync", "--dry-run"], {}, False),
        (["sync", "--check"], {}, False),
        (["sync", "--script", "x.py"], {}, False),
        (["sync", "--frozen"], {}, True),
        (["run", "python"], {}, True),
        (["run", "--frozen", "python"], {}, True),
        # --no-sync still replaces an env whose interpreter is gone: decided later, not here.
        (["run", "--no-sync", "python"], {}, True),
        (["run", "python"], {"UV_NO_SYNC": "1"}, True),
        (["run", "python"], {"UV_NO_SYNC": "false"}, True),
        (["run", "--no-project", "python"], {}, False),
        (["run", "--isolated", "python"], {}, False),
        # `uv run -p 3.11` alone syncs the env for that Python too (and then starts a REPL).
        (["run"], {}, True),
        (["run", "-p", "3.11"], {}, True),
        (["run", "-m", "http.server"], {}, True),
        (["add", "x"], {}, True),
        (["add", "--frozen", "x"], {}, False),
        (["add", "x"], {"UV_FROZEN": "1"}, False),
        (["remove", "--no-sync", "x"], {}, False),
        (["version"], {}, False),
        (["version", "1.2.3"], {}, True),
        (["version", "--bump", "patch"], {}, True),
        (["version", "--bump", "patch", "--dry-run"], {}, False),
        (["version", "--bump", "patch", "--frozen"], {}, False),
        # Whether `uv venv` wipes an existing env without --clear depends on uv's release.
        (["venv"], {}, True),
        (["venv", "--clear"], {}, True),
        (["venv", "-c"], {}, True),
        (["venv"], {"UV_VENV_CLEAR": "1"}, True),
        (["check"], {}, True),
        (["lock"], {}, False),
        (["pip", "install", "x"], {}, True),
        (["pip", "uninstall", "x"], {}, True),
        (["pip", "sync", "r.txt"], {}, True),
        (["pip", "install", "--dry-run", "x"], {}, False),
        (["pip", "install", "--target", "t", "x"], {}, False),
        (["pip", "install", "--prefix", "t", "x"], {}, False),
        (["pip", "list"], {}, False),
        (["pip", "compile", "r.in"], {}, False),
        (["tool", "install", "x"], {}, True),
        (["tool", "upgrade", "--all"], {}, True),
        (["tool", "uninstall", "x"], {}, True),
        (["tool", "run", "x"], {}, False),
        (["tool", "list"], {}, False),
        (["tool", "dir", "--bin"], {}, False),
        (["tool", "install", "--help"], {}, False),
        (["sync", "--help"], {}, False),
        (["-V"], {}, False),
        ([], {}, False),
    ],
)
def test_in_scope(argv: list[str], env: dict[str, str], expected: bool) -> None:
    assert in_scope(parse(argv), env) is expected


def test_dry_run_argv_carries_what_decides_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "s.py").write_text("pass\n")
    inv = parse(["--color", "never", "run", "-p3.12", "--with", "rich", "--managed-python",
                 "--directory", "x", "python", "-c", "pass"])  # fmt: skip
    argv = decision.dry_run_argv(inv, cwd=str(tmp_path), env={})
    # `run` is read to the end (which dists go): sync's options it was given, and `--inexact`.
    assert argv == [
        "sync", "--dry-run", "--python=3.12", "--managed-python", "--directory=x", "--inexact",
    ]  # fmt: skip
    add = parse(["add", "-p3.12", "--managed-python", "--directory", "x", "--dev", "rich"])
    argv = decision.dry_run_argv(add, cwd=str(tmp_path), env={})
    assert argv == ["sync", "--dry-run", "--python=3.12", "--directory=x", "--managed-python"]
    script = parse(["run", "scripts/s.py"])
    assert decision.dry_run_argv(script, cwd=str(tmp_path), env={})[-1] == (
        f"--project={tmp_path / 'scripts'}"
    )
    old = Facts((0, 11, 33))  # before 0.12 uv found the project from the cwd, not the script
    assert not any(a.startswith("--project") for a in
                   decision.dry_run_argv(script, cwd=str(tmp_path), env={}, facts=old))  # fmt: skip


def test_asks_uv_except_where_the_answer_is_known() -> None:
    assert decision.asks_uv(parse(["sync"]), {})
    assert not decision.asks_uv(parse(["venv", "--clear"]), {})
    assert not decision.asks_uv(parse(["run", "--no-sync", "python"]), {})
    assert not decision.asks_uv(parse(["run", "python"]), {"UV_NO_SYNC": "1"})


def test_dry_run_env_never_colours_and_never_freezes() -> None:
    child = decision.dry_run_env({"UV_FROZEN": "1", "FORCE_COLOR": "1", "X": "y"})
    assert child["NO_COLOR"] == "1" and "UV_FROZEN" not in child and child["X"] == "y"


def test_plan_is_unsure_only_when_nothing_could_tell() -> None:
    assert plans.Plan(decision.REPLACE, "unsure").unsure
    assert not plans.Plan(decision.REPLACE, "replace").unsure
    assert "keep/cached" in repr(plans.Plan(decision.KEEP, "cached"))
