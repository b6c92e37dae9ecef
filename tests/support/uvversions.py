"""Released uv binaries for the version matrix: the list, a cache, and the pytest fixtures.

`MATRIX_VERSIONS` is the one list of uv releases the end-to-end matrix runs
(tests/e2e/test_uv_matrix.py): the last patch release of every minor series from 0.5 to the
newest, the seed's 0.7.12, and the releases on either side of the boundaries where uv's
behaviour changes (notes/uv-version-facts.md).

Binaries come from the wheels on PyPI (`pip download --no-deps --only-binary=:all: uv==X`, the
wheel for this machine), unpacked once to `<cache>/uv-X.Y.Z/uv`. The cache is
`$VENVSHIM_UV_CACHE`, else `.ci/uv-versions` in the checkout (git-ignored), so `.ci/run`, the
tests and a developer share it. Fetching is idempotent and safe to run concurrently (each
binary appears by an atomic rename, complete or not at all)::

    python -m tests.support.uvversions            # fetch every matrix version, in parallel
    python -m tests.support.uvversions 0.7.12     # just these

As a pytest plugin (`pytest_plugins = ["tests.support.uvversions"]`) this module provides
`matrix_uv`, parametrised over MATRIX_VERSIONS: a missing binary is fetched once per session
(unless VENVSHIM_UV_FETCH=0), and if it still cannot be had, the test is skipped locally and
fails in CI (`tests.conftest.require`). `SCENARIOS` names the matrix's columns; `matrix_results`
and `matrix_table` turn the test reports into the version x scenario table that tests/conftest.py
prints at the end of a run. PYTEST_DONT_REWRITE: imported before pytest registers it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parent.parent.parent

MATRIX_VERSIONS: tuple[str, ...] = (
    "0.5.29",  # the last release without `uv sync --dry-run`
    "0.5.30",  # the first with it
    "0.5.31",  # last 0.5
    "0.6.17",  # last 0.6
    "0.7.12",  # the seed (uv#13986)
    "0.7.20",  # the last "Would replace existing virtual environment" wording
    "0.7.21",  # the first "Would replace project environment" wording
    "0.7.22",  # last 0.7
    "0.8.0",  # the last release deleting pyvenv.cfg early
    "0.8.1",  # pyvenv.cfg removed last (uv PR #14808)
    "0.8.24",  # last 0.8
    "0.9.30",  # last 0.9
    "0.10.12",  # last 0.10
    "0.11.33",  # last 0.11
    "0.12.24",  # last 0.12
    "0.13.9",  # last 0.13, the newest
)

# The columns of the results table, in order: (test function in tests/e2e/test_uv_matrix.py,
# the column's label). The first nine are issue 7's scenarios; the last three are cases where a
# shim could fail open on some versions, found while writing notes/uv-version-facts.md.
SCENARIOS: tuple[tuple[str, str], ...] = (
    ("test_switch_with_holder", "switch+holder"),
    ("test_python_version_file_under_run", "run .python-version"),
    ("test_raised_requires_python_under_sync", "sync requires-python"),
    ("test_noop_sync_and_run", "no-op sync/run"),
    ("test_venv_clear", "venv --clear"),
    ("test_venv_without_clear", "venv (no --clear)"),
    ("test_switch_under_ntfs_emulation", "NTFS switch"),
    ("test_repair_of_plain_uv_leftover", "repair leftover"),
    ("test_user_directory_untouched", "user dir untouched"),
    ("test_run_without_command", "run -p (no cmd)"),
    ("test_uv_working_dir", "UV_WORKING_DIR"),
    ("test_run_no_sync", "run --no-sync"),
)

FETCH_TIMEOUT = 300.0  # seconds for one `pip download`


def cache_dir() -> Path:
    explicit = os.environ.get("VENVSHIM_UV_CACHE")
    return Path(explicit) if explicit else REPO / ".ci" / "uv-versions"


def _exe_name() -> str:
    return "uv.exe" if os.name == "nt" else "uv"


def binary_path(version: str, cache: Path | None = None) -> Path:
    """Where uv `version` lives in the cache (whether or not it is there yet)."""
    return (cache or cache_dir()) / f"uv-{version}" / _exe_name()


def cached(version: str, cache: Path | None = None) -> Path | None:
    path = binary_path(version, cache)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


class FetchError(RuntimeError):
    pass


def _extract(wheel: Path, version: str, dest: Path) -> None:
    member = f"uv-{version}.data/scripts/{_exe_name()}"
    with zipfile.ZipFile(wheel) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise FetchError(f"{wheel.name} has no {member}") from None
        with zf.open(info) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out)
    dest.chmod(0o755)
    # The release's own date, not the download's: an old binary, as on a user's machine (the
    # shim never caches a verdict that involves a file changed in the last seconds).
    stamp = datetime(*info.date_time, tzinfo=timezone.utc).timestamp()
    os.utime(dest, (stamp, stamp))


def fetch(version: str, cache: Path | None = None) -> Path:
    """The cached binary of uv `version`, downloaded and unpacked first if missing."""
    cache = cache or cache_dir()
    found = cached(version, cache)
    if found is not None:
        return found
    final = binary_path(version, cache)
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".fetch-{version}-", dir=cache) as tmp:
        work = Path(tmp)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--dest",
                os.fspath(work),
                f"uv=={version}",
            ],
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT,
            check=False,
        )
        wheels = sorted(work.glob(f"uv-{version}-*.whl"))
        if proc.returncode != 0 or not wheels:
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise FetchError(f"pip download uv=={version} failed ({proc.returncode}): {tail}")
        staged = work / _exe_name()
        _extract(wheels[0], version, staged)
        check = subprocess.run(
            [os.fspath(staged), "--version"], capture_output=True, text=True, check=False
        )
        if check.returncode != 0 or check.stdout.split()[:2] != ["uv", version]:
            raise FetchError(f"uv {version} from {wheels[0].name} says {check.stdout!r}")
        os.replace(staged, final)  # atomic: concurrent fetchers each put a complete binary
    return final


@dataclass(frozen=True)
class UvRelease:
    version: str
    path: Path


@dataclass(frozen=True)
class Fetched:
    version: str
    path: Path | None
    error: str = ""


def fetch_all(
    versions: Iterable[str] = MATRIX_VERSIONS, cache: Path | None = None, jobs: int = 8
) -> list[Fetched]:
    """Fetch the versions in parallel (pip is network-bound); never raises for one failure."""
    cache = cache or cache_dir()

    def one(version: str) -> Fetched:
        try:
            return Fetched(version, fetch(version, cache))
        except (FetchError, OSError, subprocess.SubprocessError, zipfile.BadZipFile) as exc:
            return Fetched(version, None, str(exc))

    wanted = list(dict.fromkeys(versions))
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(wanted) or 1))) as pool:
        return list(pool.map(one, wanted))


_NODE = re.compile(r"test_uv_matrix\.py::(test_\w+)\[uv(\d+\.\d+\.\d+)\]$")


def matrix_results(reports: Iterable[object]) -> dict[tuple[str, str], str]:
    """(version, test function) -> "ok" | "FAIL" | "skip", from pytest's test reports (of this
    process, or of every xdist worker when read on the controller)."""
    results: dict[tuple[str, str], str] = {}
    for rep in reports:
        match = _NODE.search(str(getattr(rep, "nodeid", "")))
        if match is None or not hasattr(rep, "when"):
            continue
        key = (match.group(2), match.group(1))
        if getattr(rep, "failed", False):
            results[key] = "FAIL"
        elif getattr(rep, "skipped", False):
            results.setdefault(key, "skip")
        elif rep.when == "call" and getattr(rep, "passed", False):
            results.setdefault(key, "ok")
    return results


def matrix_table(results: dict[tuple[str, str], str]) -> list[str]:
    """A Markdown table, uv version x scenario, of the cells that ran."""
    if not results:
        return []
    versions = sorted({v for v, _ in results}, key=version_key)
    ran = {t for _, t in results}
    columns = [(t, label) for t, label in SCENARIOS if t in ran]
    columns += [(t, t) for t in sorted(ran - {t for t, _ in SCENARIOS})]
    lines = [
        "| uv | " + " | ".join(label for _, label in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for version in versions:
        cells = [results.get((version, t), "-") for t, _ in columns]
        lines.append(f"| {version} | " + " | ".join(cells) + " |")
    failed = sum(1 for r in results.values() if r == "FAIL")
    lines.append(f"\n{len(results)} cells: {len(results) - failed} not failed, {failed} failed")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.uvversions",
        description="Download and unpack the uv releases of the version matrix.",
    )
    parser.add_argument("versions", nargs="*", help="default: every matrix version")
    parser.add_argument("--cache", type=Path, help="default: $VENVSHIM_UV_CACHE or .ci/uv-versions")
    parser.add_argument("--jobs", type=int, default=8)
    args = parser.parse_args(argv)
    results = fetch_all(args.versions or MATRIX_VERSIONS, args.cache, jobs=args.jobs)
    failed = [r for r in results if r.path is None]
    for r in results:
        print(f"uv {r.version}: {r.path if r.path else 'FAILED: ' + r.error}")
    return 1 if failed else 0


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def matrix_uv_binaries() -> dict[str, Fetched]:
    """Every matrix version: cached, else fetched in parallel once (VENVSHIM_UV_FETCH=0:
    only what is cached)."""
    if os.environ.get("VENVSHIM_UV_FETCH", "1") == "0":
        return {
            v: Fetched(v, cached(v), "" if cached(v) else "not cached") for v in MATRIX_VERSIONS
        }
    return {r.version: r for r in fetch_all(MATRIX_VERSIONS)}


@pytest.fixture(scope="session", params=MATRIX_VERSIONS, ids=[f"uv{v}" for v in MATRIX_VERSIONS])
def matrix_uv(request: pytest.FixtureRequest, matrix_uv_binaries: dict[str, Fetched]) -> UvRelease:
    """One matrix version and its binary (a test using it runs once per version)."""
    version: str = request.param
    got = matrix_uv_binaries[version]
    require(
        got.path is not None,
        f"uv {version} (python -m tests.support.uvversions {version}): {got.error}",
    )
    assert got.path is not None
    return UvRelease(version, got.path)


if __name__ == "__main__":
    sys.exit(main())
