from __future__ import annotations

import pytest

from venvshim.intercept.uvargs import active_env, parse, run_script_path


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
        (["tool", "install", "-p", "3.12", "x"], "tool", "3.12", []),
        (["-q", "pip", "-q", "install", "-p3.11", "x"], "pip", "3.11", []),
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


def test_run_script_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.py").write_text("print(1)\n")
    assert run_script_path(parse(["run", "sub/x.py"]), str(tmp_path)) == str(tmp_path / "sub/x.py")
    assert run_script_path(parse(["run", "python", "sub/x.py"]), str(tmp_path)) is None
    assert run_script_path(parse(["run", "missing.py"]), str(tmp_path)) is None


def test_nested_subcommands_and_their_options() -> None:
    inv = parse(["--directory", "d", "tool", "install", "-w", "rich", "--force", "black[d]"])
    assert (inv.command, inv.subcommand, inv.key) == ("tool", "install", "tool install")
    assert inv.value("--with") == "rich" and inv.flag("--force")
    assert inv.positionals == ["black[d]"] and inv.argv[inv.sub_at] == "install"
    pip = parse(["pip", "install", "-r", "req.txt", "-e", ".", "x"])
    assert pip.value("--requirements") == "req.txt" and pip.value("--editable") == "."
    assert pip.positionals == ["x"]
    assert parse(["pip", "list", "-v"]).positionals == ["-v"]  # not parsed past its name


def test_active_env_is_virtual_env_only_when_asked_for() -> None:
    venv = {"VIRTUAL_ENV": "/work/env"}
    assert active_env(parse(["sync", "--active"]), venv) == "/work/env"
    assert active_env(parse(["sync"]), {**venv, "UV_ACTIVE": "1"}) == "/work/env"
    assert active_env(parse(["sync"]), venv) is None
    assert active_env(parse(["sync", "--active"]), {"VIRTUAL_ENV": ""}) is None
