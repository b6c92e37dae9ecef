from __future__ import annotations

import pytest

from venvshim.intercept.decision import in_scope
from venvshim.intercept.uvargs import parse, run_script_path


@pytest.mark.parametrize(
    ("argv", "command", "python", "run_command"),
    [
        (["sync"], "sync", None, []),
        (["sync", "-p", "3.11"], "sync", "3.11", []),
        (["sync", "-p3.11"], "sync", "3.11", []),
        (["sync", "--python=3.11"], "sync", "3.11", []),
        (["-q", "sync", "-qp3.12"], "sync", "3.12", []),
        (["--directory", "sync", "run", "x"], "run", None, ["x"]),
        (["--color", "never", "--project=p", "run", "-p", "3.10", "python", "-p", "9"],
         "run", "3.10", ["python", "-p", "9"]),
        (["run", "--with", "rich", "python", "-c", "pass"], "run", None, ["python", "-c", "pass"]),
        (["run", "-w", "rich", "--", "sync", "-p", "3"], "run", None, ["sync", "-p", "3"]),
        (["v", "--clear"], "venv", None, []),
        (["virtualenv", "-c"], "venv", None, []),
        (["pip", "install", "run"], "pip", None, []),
        (["tool", "run", "sync"], "tool", None, []),
    ],
)  # fmt: skip
def test_parse(argv: list[str], command: str, python: str | None, run_command: list[str]) -> None:
    inv = parse(argv)
    assert inv.command == command
    assert inv.value("--python") == python
    assert inv.run_command == run_command


def test_globals_after_subcommand_and_last_wins() -> None:
    inv = parse(["sync", "--directory", "a", "-p", "3.10", "--python", "3.12"])
    assert inv.value("--directory") == "a"
    assert inv.value("--python") == "3.12"


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
        (["pip", "install", "x"], {}, False),
        (["sync", "--help"], {}, False),
        (["-V"], {}, False),
        ([], {}, False),
    ],
)
def test_in_scope(argv: list[str], env: dict[str, str], expected: bool) -> None:
    assert in_scope(parse(argv), env) is expected


def test_run_script_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text("print(1)\n")
    assert run_script_path(parse(["run", "sub/x.py"]), str(tmp_path)) == str(tmp_path / "sub/x.py")
    assert run_script_path(parse(["run", "python", "sub/x.py"]), str(tmp_path)) is None
    assert run_script_path(parse(["run", "missing.py"]), str(tmp_path)) is None
