"""End-to-end fixtures: a real shim installed by `venvshim install`, in front of the real uv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_project, run
from tests.support import hermetic

# Everything under tests/e2e is end-to-end: CI fails if any of it is skipped (see .ci/run).
pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shim_dir(tmp_path_factory: pytest.TempPathFactory, real_uv: Path) -> Path:
    directory = tmp_path_factory.mktemp("shim") / "bin"
    hermetic.install_shim(directory)
    return directory


@pytest.fixture
def shim_env(env: dict[str, str], shim_dir: Path) -> dict[str, str]:
    """`env` with the shim first on PATH, so a bare `uv` is the shim."""
    return {**env, "PATH": f"{shim_dir}{os.pathsep}{env['PATH']}"}


def venvshim(
    args: list[str], *, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "venvshim", *args], env=env, cwd=cwd)


def status_json(env: dict[str, str], cwd: Path) -> list[dict[str, object]]:
    proc = venvshim(["status", "--json"], env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list)
    return rows


def tombstones_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if ".venvshim-tomb-" in p.name)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def synced_project(root: Path, env: dict[str, str], uv: str, python: str = "3.10") -> Path:
    """A project with a `.venv` on `python`, made by the plain real uv."""
    make_project(root)
    run([uv, "sync", "-p", python], env=env, cwd=root, check=True)
    return root
