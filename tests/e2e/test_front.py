"""The sh front end: finding the real uv, never recursing; and uv's grammar as the shim knows it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run
from venvshim.intercept import uvargs


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
    out = run([real_uv, cmd, "--help"], env=env, cwd=Path("/")).stdout
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
