"""The sh front end: finding the real uv, never recursing; and uv's grammar as the shim knows it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run
from venvshim.intercept import uvargs, uvoptions


def test_two_unstamped_shim_copies_do_not_recurse(
    tmp_path: Path, shim_dir: Path, env: dict[str, str]
) -> None:
    """Copies of the shim in directories without the stamp would find each other forever."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        shutil.copy2(shim_dir / "uv", d / "uv")
    no_uv = {**env, "PATH": f"{a}:{b}:/usr/bin:/bin"}
    proc = run(["uv", "--version"], env=no_uv, cwd=tmp_path, timeout=20)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "hint: " in proc.stderr


def test_no_real_uv_is_a_clear_error(tmp_path: Path, shim_dir: Path, env: dict[str, str]) -> None:
    proc = run(["uv", "sync"], env={**env, "PATH": f"{shim_dir}:/usr/bin:/bin"}, cwd=tmp_path)
    assert proc.returncode == 2
    assert "error: venvshim: cannot find the real uv" in proc.stderr and "hint:" in proc.stderr


def test_shim_dir_twice_on_path_and_explicit_real_uv(
    tmp_path: Path, shim_dir: Path, env: dict[str, str], real_uv: Path
) -> None:
    twice = {**env, "PATH": f"{shim_dir}:{shim_dir}:{env['PATH']}"}
    assert run(["uv", "--version"], env=twice, cwd=tmp_path).stdout.startswith("uv ")
    explicit = {**env, "PATH": f"{shim_dir}:/usr/bin:/bin", "VENVSHIM_REAL_UV": str(real_uv)}
    assert run(["uv", "--version"], env=explicit, cwd=tmp_path).stdout.startswith("uv ")


def _help_value_options(real_uv: Path, env: dict[str, str], cmd: str) -> set[str]:
    out = run([real_uv, *cmd.split(), "--help"], env=env, cwd=Path("/")).stdout
    found: set[str] = set()
    for line in out.splitlines():
        m = re.match(r"\s+((?:-\w, )?--[\w-]+)(?: <[^>]+>)", line)
        if m:
            found.update(n.strip() for n in m.group(1).split(","))
    return found


@pytest.mark.parametrize("cmd", sorted(uvargs.VALUE))
def test_value_option_table_matches_real_uv(real_uv: Path, env: dict[str, str], cmd: str) -> None:
    """If a uv release adds an option taking a value, the shim must learn it (else it would
    take the value for a positional: `uv run --new-opt x python` would look like `run x`)."""
    known = uvargs.VALUE[cmd] | uvargs.GLOBAL_VALUE
    missing = _help_value_options(real_uv, env, cmd) - known
    assert not missing, f"uv {cmd}: value options unknown to uvargs: {sorted(missing)}"


def _help_commands(real_uv: Path, env: dict[str, str], *cmd: str) -> set[str]:
    out = run([real_uv, *cmd, "--help"], env=env, cwd=Path("/")).stdout
    block = out.split("Commands:", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0] for line in block.splitlines() if line.strip()}


def test_every_subcommand_of_the_real_uv_is_listed(real_uv: Path, env: dict[str, str]) -> None:
    """A new uv subcommand goes to Python (the safe default) until uvargs lists it."""
    assert _help_commands(real_uv, env) <= uvargs.SUBCOMMANDS
    for command, subcommands in uvargs.NESTED_SUBCOMMANDS.items():
        assert _help_commands(real_uv, env, command) <= subcommands


@pytest.mark.parametrize(
    ("argv", "python"),
    [
        (["tool", "list"], False),
        (["tool", "run", "--help"], False),
        (["--color", "never", "tool", "dir", "--bin"], False),
        (["pip", "list"], False),
        (["tool", "install", "--help"], True),
        (["pip", "install", "--help"], True),
        (["tool", "--directory", ".", "upgrade", "--help"], True),
    ],
)
def test_front_end_starts_python_only_for_what_can_delete(
    tmp_path: Path,
    shim_dir: Path,
    env: dict[str, str],
    real_uv: Path,
    argv: list[str],
    python: bool,
) -> None:
    """`sh -x` shows the one command the front end execs: uv itself, or venvshim's Python."""
    proc = run(["sh", "-x", shim_dir / "uv", *argv], env=env, cwd=tmp_path)
    (last,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("+ exec ")]
    assert (" -I -S -c " in last) is python, last
    assert proc.returncode == 0, proc.stderr


def test_options_forwarded_to_sync_dry_run_are_syncs(real_uv: Path, env: dict[str, str]) -> None:
    """`uv run`'s options that go to the `uv sync --dry-run` deciding what uv removes must all be
    `uv sync` options (an unknown one would make the dry-run fail, and the answer unknown)."""
    for name in sorted(uvoptions.SYNC_FORWARD):
        args = [name] if name not in uvargs.VALUE["sync"] | uvargs.GLOBAL_VALUE else [name, "x"]
        proc = run([real_uv, "sync", *args, "--help"], env=env, cwd=Path("/"))
        # A value `x` may be refused ("invalid value"); the option itself must be known.
        assert "unexpected argument" not in proc.stderr, f"uv sync does not take {name}"
        assert proc.returncode == 0 or "invalid value" in proc.stderr, proc.stderr
