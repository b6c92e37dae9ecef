"""Shared fixtures: the real uv, real CPython interpreters, and a clean environment for them.

End-to-end tests never run against the developer's PATH: pyenv's shims confuse uv's interpreter
discovery (see ../shared/research/uv-internals.md, "Testing uv on these machines"), so each session
builds a `toolbin` directory holding links to `pythonX.Y` of every available CPython and to the real
uv, and tests run with `PATH=<toolbin>:/usr/bin:/bin`.

In CI (`CI` set) nothing end-to-end may be skipped: a missing uv or interpreter fails the run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support import tools

# Shared with the benchmark (tests/support/hermetic.py); tests import them from here too.
from tests.support.hermetic import base_env, make_project, venv_version  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
WANTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def require(condition: bool, reason: str) -> None:
    """Skip locally when a tool is missing, but fail in CI: CI must run every end-to-end test."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required for end-to-end tests in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_uv() -> Path:
    uv = tools.find_real_uv()
    require(uv is not None, "the real uv binary (pip install uv, or set VENVSHIM_TEST_UV)")
    assert uv is not None
    return uv


@pytest.fixture(scope="session")
def pythons() -> dict[str, Path]:
    found = tools.find_pythons(WANTED_PYTHONS)
    missing = [v for v in WANTED_PYTHONS if v not in found]
    require(not missing, f"CPython {', '.join(missing)} under $(pyenv root)/versions")
    return found


@pytest.fixture(scope="session")
def toolbin(
    tmp_path_factory: pytest.TempPathFactory, real_uv: Path, pythons: dict[str, Path]
) -> Path:
    """A directory with `uv` and `pythonX.Y` links, and nothing else, to put first on PATH."""
    return tools.make_toolbin(tmp_path_factory.mktemp("toolbin"), real_uv, pythons)


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def env(tmp_path: Path, toolbin: Path, uv_cache: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return base_env(toolbin, home, uv_cache)


def run(
    argv: list[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    cwd: Path,
    check: bool = False,
    timeout: float = 120,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [os.fspath(a) for a in argv],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input.decode() if input is not None else None,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{argv} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    yield make_project(tmp_path / "proj")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a run whose end-to-end tests did not all run is a failure, whatever else passed."""
    if not os.environ.get("CI") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    passed = [r for r in reporter.stats.get("passed", []) if "e2e" in r.keywords]
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; every test must run in CI", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif not passed and session.config.getoption("markexpr", "") == "":
        reporter.write_line("CI: no end-to-end test ran", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The uv version matrix (tests/e2e/test_uv_matrix.py) as a table, version x scenario.

    Built from the reports, so it holds with pytest-xdist too (on the controller every worker's
    reports arrive). VENVSHIM_MATRIX_REPORT=path also writes it there (Markdown).
    """
    from tests.support import uvversions

    reports = [r for reps in terminalreporter.stats.values() for r in reps]
    lines = uvversions.matrix_table(uvversions.matrix_results(reports))
    if not lines:
        return
    terminalreporter.section("uv version matrix")
    for line in lines:
        terminalreporter.write_line(line)
    target = os.environ.get("VENVSHIM_MATRIX_REPORT")
    if target:
        Path(target).write_text("\n".join(lines) + "\n")
