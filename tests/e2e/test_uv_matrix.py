"""The uv version matrix (issue 7): every release in `uvversions.MATRIX_VERSIONS` through the
same end-to-end scenarios, through the real shim, with real interpreters and real processes.

Each test runs once per uv version (the `matrix_uv` fixture). That version's binary is named
explicitly twice: `VENVSHIM_REAL_UV`, and the only `uv` in the test's tool directory (next to the
`pythonX.Y` links), so nothing can fall back to another uv. Plain-uv runs call the binary by path.

What each scenario expects of a version comes from notes/uv-version-facts.md (the constants
below) and is checked against that version's plain uv in the same test, on a twin of the
project: a fact that stops holding fails the test instead of silently changing its meaning.

Every cell asserts something that fails without protection (a tombstone holding the old env, a
holder still running from its file) or, where uv keeps the env, that the shim moved nothing and
said exactly what plain uv says. The results table (version x scenario) is printed at the end of
the run by `pytest_terminal_summary` in tests/conftest.py (also under pytest-xdist);
VENVSHIM_MATRIX_REPORT=path writes it as Markdown.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import base_env, make_project, run, venv_version
from tests.e2e.conftest import status_json, tombstones_in
from tests.support import tools
from tests.support.ntfsemu import NtfsemuKit, hold_exe, hold_mapped, preload_env
from tests.support.uvversions import SCENARIOS, UvRelease, version_key

pytest_plugins = ["tests.support.ntfsemu", "tests.support.uvversions"]
pytestmark = pytest.mark.e2e

# --- facts about uv releases (notes/uv-version-facts.md), each re-checked on plain uv below ---

VENV_KEEPS_FROM = "0.8.0"  # below: `uv venv` without --clear deletes an existing env and
#                             recreates it; from here it writes over it with a warning
VENV_REFUSES_FROM = "0.10.0"  # `uv venv` without --clear errors (0.9.30 still wrote over it,
#                              0.10.12 refuses; the release in between was not bisected)
CFG_LAST_FROM = "0.8.1"  # a failed deletion leaves pyvenv.cfg (removed last) from here on
NO_SYNC_KEEPS_FROM = "0.7.3"  # below: `uv run --no-sync` replaces an incompatible env
CLEAR_DELETES_FROM = "0.8.0"  # `uv venv --clear` deletes a directory that is not a venv...
CLEAR_REFUSES_FROM = "0.12.0"  # ... until uv asks for --force (0.12.24 refuses, 0.11.33 not)
WORKING_DIR_FROM = "0.9.14"  # uv reads UV_WORKING_DIR from here on (UV_WORKING_DIRECTORY: 0.9.1)

SENTINEL = ".matrix-sentinel"  # planted in an env: in the tombstone iff the env was moved
PRINT_MINOR = "import sys; print('%d.%d' % sys.version_info[:2])"


def at_least(version: str, floor: str) -> bool:
    return version_key(version) >= version_key(floor)


# ------------------------------------------------------------------ per-version set-up


@dataclass(frozen=True)
class UvKit:
    """One uv release, with a tool directory (its `uv` and the pythons) and a uv cache of its
    own, shared by every test of that version."""

    version: str
    uv: Path
    toolbin: Path
    cache: Path


@pytest.fixture(scope="session")
def uvkit(
    matrix_uv: UvRelease, pythons: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> UvKit:
    root = tmp_path_factory.mktemp(f"uv-{matrix_uv.version}")
    toolbin = tools.make_toolbin(root / "bin", matrix_uv.path, pythons)
    return UvKit(matrix_uv.version, matrix_uv.path, toolbin, root / "uv-cache")


class Cell:
    """One test's view of one uv version: plain uv and the shim in the same hermetic environment."""

    def __init__(self, kit: UvKit, tmp_path: Path, shim_dir: Path) -> None:
        self.kit = kit
        self.version = kit.version
        self.tmp = tmp_path
        self.lib: Path | None = None  # the NTFS emulation, for the tests that use it
        home = tmp_path / "home"
        home.mkdir()
        self.env = base_env(kit.toolbin, home, kit.cache)
        # Tombstones stay where the test can look at them.
        self.env["VENVSHIM_NO_BACKGROUND_GC"] = "1"
        self.shim_uv = shim_dir / "uv"
        self.shim_env = {
            **self.env,
            "PATH": f"{shim_dir}{os.pathsep}{self.env['PATH']}",
            "VENVSHIM_REAL_UV": str(kit.uv),
        }

    def _env(
        self, base: dict[str, str], extra: Mapping[str, str] | None, ntfs: bool
    ) -> dict[str, str]:
        env = {**base, **(extra or {})}
        if not ntfs:
            return env
        assert self.lib is not None, "use the ntfs_cell fixture"
        return preload_env(env, self.lib)

    def plain(
        self,
        args: list[str],
        cwd: Path,
        *,
        extra: Mapping[str, str] | None = None,
        ntfs: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return run([self.kit.uv, *args], env=self._env(self.env, extra, ntfs), cwd=cwd)

    def shim(
        self,
        args: list[str],
        cwd: Path,
        *,
        extra: Mapping[str, str] | None = None,
        ntfs: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return run([self.shim_uv, *args], env=self._env(self.shim_env, extra, ntfs), cwd=cwd)

    def project(self, root: Path, *, python: str = "3.10", sentinel: bool = True) -> Path:
        """A dependency-free project whose `.venv` plain uv made with `python`."""
        make_project(root)
        self.plain_ok(["sync", "-p", python], root)
        if sentinel:
            (root / ".venv" / SENTINEL).write_text("the old environment\n")
        return root

    def plain_ok(self, args: list[str], cwd: Path) -> None:
        proc = self.plain(args, cwd)
        assert proc.returncode == 0, f"plain uv {self.version} {args}: {proc.stderr}"

    def nothing_left_behind(self) -> None:
        assert status_json(self.shim_env, self.tmp) == []


@pytest.fixture
def cell(uvkit: UvKit, tmp_path: Path, shim_dir: Path) -> Cell:
    return Cell(uvkit, tmp_path, shim_dir)


@pytest.fixture
def ntfs_cell(cell: Cell, ntfsemu: NtfsemuKit) -> Cell:
    """A cell whose runs can have Windows file locking emulated (`ntfs=True`)."""
    cell.lib = ntfsemu.lib
    return cell


def assert_tombstoned(proj: Path, old_minor: str) -> Path:
    """The old env was moved aside whole (sentinel and all), not deleted; a new one is in place."""
    tombs = tombstones_in(proj)
    assert len(tombs) == 1, f"expected the old env in one tombstone, found {tombs}"
    tomb = tombs[0]
    assert venv_version(tomb) == old_minor
    assert (tomb / SENTINEL).is_file()
    assert not (proj / ".venv" / SENTINEL).exists()
    return tomb


def assert_untouched(proj: Path, dir_inode: int) -> None:
    venv = proj / ".venv"
    assert venv.stat().st_ino == dir_inode, "the environment directory was replaced"
    assert (venv / SENTINEL).is_file()
    assert tombstones_in(proj) == []


def normalized(text: str, *roots: Path) -> str:
    """uv's output with the project's absolute path and timings made comparable."""
    for root in roots:
        text = text.replace(str(root), "<proj>")
    return re.sub(r"\bin \d+(\.\d+)?m?s\b", "in <t>", text)


def same_as_plain(
    got: subprocess.CompletedProcess[str],
    expected: subprocess.CompletedProcess[str],
    got_root: Path,
    expected_root: Path,
) -> None:
    assert got.returncode == expected.returncode, (got.stderr, expected.stderr)
    assert normalized(got.stderr, got_root) == normalized(expected.stderr, expected_root)
    assert normalized(got.stdout, got_root) == normalized(expected.stdout, expected_root)


def python_works(venv: Path, env: Mapping[str, str]) -> bool:
    return run([venv / "bin" / "python", "-c", "pass"], env=env, cwd=venv).returncode == 0


# ------------------------------------------------------------------ the scenarios


def test_switch_with_holder(cell: Cell, ntfsemu: NtfsemuKit) -> None:
    """`uv sync -p 3.11` while a program runs from the 3.10 env: it keeps running, from its own
    file, now in the tombstone (plain uv would delete the file under it)."""
    proj = cell.project(cell.tmp / "proj")
    tool = proj / ".venv" / "bin" / "tool"
    shutil.copy2(ntfsemu.holder, tool)
    with hold_exe(tool) as holder:
        proc = cell.shim(["sync", "-p", "3.11"], proj)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(proj / ".venv") == "3.11"
        assert python_works(proj / ".venv", cell.env)
        tomb = assert_tombstoned(proj, "3.10")
        assert holder.poll() is None
        assert os.readlink(f"/proc/{holder.pid}/exe") == str(tomb / "bin" / "tool")


def test_python_version_file_under_run(cell: Cell) -> None:
    proj = cell.project(cell.tmp / "proj")
    (proj / ".python-version").write_text("3.11\n")
    proc = cell.shim(["run", "python", "-c", PRINT_MINOR], proj)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3.11"
    assert_tombstoned(proj, "3.10")


def test_raised_requires_python_under_sync(cell: Cell) -> None:
    proj = cell.project(cell.tmp / "proj")
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('">=3.9"', '">=3.11"'))
    proc = cell.shim(["sync"], proj)
    assert proc.returncode == 0, proc.stderr
    assert venv_version(proj / ".venv") in ("3.11", "3.12", "3.13")
    assert_tombstoned(proj, "3.10")


def test_noop_sync_and_run(cell: Cell) -> None:
    """A healthy env that uv keeps: the shim moves nothing, whatever it has to do to know."""
    proj = cell.project(cell.tmp / "proj")
    venv = proj / ".venv"
    dir_inode, cfg_inode = venv.stat().st_ino, (venv / "pyvenv.cfg").stat().st_ino
    for argv in (["sync"], ["run", "python", "-c", PRINT_MINOR], ["sync"]):
        proc = cell.shim(argv, proj)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert proc.stdout.strip() == ("3.10" if argv[0] == "run" else "")
        assert_untouched(proj, dir_inode)
        assert (venv / "pyvenv.cfg").stat().st_ino == cfg_inode
    cell.nothing_left_behind()


def test_venv_clear(cell: Cell) -> None:
    proj = cell.project(cell.tmp / "proj")
    proc = cell.shim(["venv", "--clear", "-p", "3.10"], proj)
    assert proc.returncode == 0, proc.stderr
    assert venv_version(proj / ".venv") == "3.10"
    assert_tombstoned(proj, "3.10")


def test_venv_without_clear(cell: Cell) -> None:
    """Where this uv deletes the env without --clear, the shim protects it; where it writes over
    it or refuses, the shim is invisible: uv's own output, nothing moved."""
    plain_proj = cell.project(cell.tmp / "plain" / "proj")
    shim_proj = cell.project(cell.tmp / "shim" / "proj")
    expected = cell.plain(["venv"], plain_proj)
    if not at_least(cell.version, VENV_KEEPS_FROM):
        assert expected.returncode == 0, expected.stderr
        assert not (plain_proj / ".venv" / SENTINEL).exists(), "fact: this uv wipes the env"
        proc = cell.shim(["venv"], shim_proj)
        assert proc.returncode == 0, proc.stderr
        assert_tombstoned(shim_proj, "3.10")
        return
    assert (plain_proj / ".venv" / SENTINEL).exists(), "fact: this uv keeps the env's files"
    if at_least(cell.version, VENV_REFUSES_FROM):
        assert expected.returncode != 0 and "already exists" in expected.stderr
    else:
        assert expected.returncode == 0
        assert "In the future, uv will require `--clear`" in expected.stderr
    dir_inode = (shim_proj / ".venv").stat().st_ino
    proc = cell.shim(["venv"], shim_proj)
    same_as_plain(proc, expected, shim_proj, plain_proj)
    assert_untouched(shim_proj, dir_inode)
    cell.nothing_left_behind()


def test_switch_under_ntfs_emulation(ntfs_cell: Cell, ntfsemu: NtfsemuKit) -> None:
    """Windows file locking: plain uv fails half-way deleting the held env (uv#13986); through
    the shim the same switch works and the holder keeps running."""
    cell = ntfs_cell
    plain_proj = cell.project(cell.tmp / "plain" / "proj", sentinel=False)
    shim_proj = cell.project(cell.tmp / "shim" / "proj", sentinel=False)
    for proj in (plain_proj, shim_proj):
        shutil.copy2(ntfsemu.holder, proj / ".venv" / "bin" / "tool")
    with ExitStack() as stack:
        stack.enter_context(hold_exe(plain_proj / ".venv" / "bin" / "tool"))
        holder = stack.enter_context(hold_exe(shim_proj / ".venv" / "bin" / "tool"))
        failed = cell.plain(["sync", "-p", "3.11"], plain_proj, ntfs=True)
        assert failed.returncode != 0 and "os error 13" in failed.stderr, failed.stderr
        assert (plain_proj / ".venv" / "bin" / "tool").is_file()
        assert venv_version(plain_proj / ".venv") != "3.11"

        proc = cell.shim(["sync", "-p", "3.11"], shim_proj, ntfs=True)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(shim_proj / ".venv") == "3.11"
        assert python_works(shim_proj / ".venv", cell.env)
        (tomb,) = tombstones_in(shim_proj)
        assert holder.poll() is None
        assert os.readlink(f"/proc/{holder.pid}/exe") == str(tomb / "bin" / "tool")


LEFTOVERS = ("exe, holder kept", "exe, holder stopped", "extension, holder kept")


def _leftover_repaired(cell: Cell, ntfsemu: NtfsemuKit, kind: str, proj: Path) -> None:
    cell.project(proj, sentinel=False)
    venv = proj / ".venv"
    with ExitStack() as holding:
        if kind.startswith("exe"):
            held = venv / "bin" / "tool"
            shutil.copy2(ntfsemu.holder, held)
            holding.enter_context(hold_exe(held))
        else:
            held = next((venv / "lib").glob("python3.*/site-packages")) / "_ext.so"
            shutil.copy2(ntfsemu.extension, held)
            holding.enter_context(hold_mapped(Path(sys.executable), held))
        failed = cell.plain(["sync", "-p", "3.11"], proj, ntfs=True)
        assert failed.returncode != 0 and "os error 13" in failed.stderr, failed.stderr
        assert held.is_file()
        has_cfg = (venv / "pyvenv.cfg").exists()
        assert has_cfg == at_least(cell.version, CFG_LAST_FROM), "fact: where pyvenv.cfg goes"
        if kind.endswith("stopped"):
            holding.close()
        else:
            stuck = cell.plain(["sync", "-p", "3.11"], proj, ntfs=True)
            assert stuck.returncode != 0, "fact: plain uv cannot get past it"
        proc = cell.shim(["sync", "-p", "3.11"], proj, ntfs=True)
        assert proc.returncode == 0, f"through the shim: {proc.stderr.strip().splitlines()[-1:]}"
        assert venv_version(venv) == "3.11"
        assert python_works(venv, cell.env)
        (tomb,) = tombstones_in(proj)
        assert (tomb / held.relative_to(venv)).is_file()


def test_repair_of_plain_uv_leftover(ntfs_cell: Cell, ntfsemu: NtfsemuKit) -> None:
    """Plain uv of this version fails half-way under the emulation and leaves its leftover (no
    pyvenv.cfg below 0.8.1: the seed's dead end); the next `uv sync` through the shim repairs
    it, whether the program holding it still runs or not."""
    cell = ntfs_cell
    problems = []
    for n, kind in enumerate(LEFTOVERS):
        try:
            _leftover_repaired(cell, ntfsemu, kind, cell.tmp / f"p{n}")
        except AssertionError as exc:
            problems.append(f"{kind}: {str(exc).strip().splitlines()[0]}")
    assert not problems, "\n".join(problems)


USER_COMMANDS = (
    ["sync"],
    ["sync", "-p", "3.11"],
    ["run", "python", "-c", "pass"],
    ["venv"],
    ["venv", "--clear"],
)


def _user_dir(proj_root: Path) -> Path:
    """A `.venv` the user made: bin/, lib/ and a `*` .gitignore, their files inside, no
    pyvenv.cfg: every top-level name is one uv also uses."""
    proj = make_project(proj_root)
    venv = proj / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib").mkdir()
    (venv / ".gitignore").write_text("*\n")
    script = venv / "bin" / "deploy.sh"
    script.write_text("#!/bin/sh\necho deploying\n")
    script.chmod(0o755)
    (venv / "lib" / "helpers.py").write_text("def helper():\n    return 42\n")
    return proj


def _snapshot(directory: Path, root: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(directory.rglob("*")):
        rel = str(path.relative_to(directory))
        if path.is_symlink():
            out.append((rel, "-> " + normalized(os.readlink(path), root)))
        elif path.is_file():
            out.append((rel, normalized(path.read_bytes().decode("utf-8", "replace"), root)))
        else:
            out.append((rel, "/"))
    return out


def test_user_directory_untouched(cell: Cell) -> None:
    """The shim never moves a directory a user could have filled: every intercepted command
    does exactly what plain uv does to it (uv refuses it, except `uv venv` where noted in
    notes/uv-version-facts.md), with the same output; where plain uv would delete it
    (`uv venv --clear`, 0.8.0 until 0.12), the shim refuses and the files stay."""
    problems = []
    for n, argv in enumerate(USER_COMMANDS):
        plain_proj = _user_dir(cell.tmp / f"plain{n}" / "proj")
        shim_proj = _user_dir(cell.tmp / f"shim{n}" / "proj")
        before = _snapshot(shim_proj / ".venv", shim_proj)
        expected = cell.plain(argv, plain_proj)
        proc = cell.shim(argv, shim_proj)
        try:
            assert tombstones_in(shim_proj) == [], "moved to a tombstone"
            deletes = argv == ["venv", "--clear"] and at_least(cell.version, CLEAR_DELETES_FROM)
            if deletes and not at_least(cell.version, CLEAR_REFUSES_FROM):
                assert not (plain_proj / ".venv" / "bin" / "deploy.sh").exists(), "uv kept it"
                assert proc.returncode == 1 and "not a virtual environment" in proc.stderr
                assert _snapshot(shim_proj / ".venv", shim_proj) == before, "touched"
                continue
            same_as_plain(proc, expected, shim_proj, plain_proj)
            assert _snapshot(shim_proj / ".venv", shim_proj) == _snapshot(
                plain_proj / ".venv", plain_proj
            ), "left differently from plain uv"
        except AssertionError as exc:
            problems.append(f"uv {' '.join(argv)}: {str(exc).strip().splitlines()[0]}")
    assert not problems, "\n".join(problems)
    cell.nothing_left_behind()


# --- beyond issue 7's list: cases where a shim reading uv's output could fail open ---


def test_run_without_command(cell: Cell) -> None:
    """`uv run -p 3.11` with no command replaces the env in every version (then lists the
    available commands and exits 2)."""
    proj = cell.project(cell.tmp / "proj")
    cell.shim(["run", "-p", "3.11"], proj)
    assert venv_version(proj / ".venv") == "3.11"
    assert_tombstoned(proj, "3.10")


def test_uv_working_dir(cell: Cell) -> None:
    """`UV_WORKING_DIR=proj uv sync -p 3.11` from the parent directory (uv's printed env path
    is relative to its working directory, not the shell's)."""
    shim_proj = cell.project(cell.tmp / "shim" / "proj")
    extra = {"UV_WORKING_DIR": "proj"}
    if at_least(cell.version, WORKING_DIR_FROM):
        proc = cell.shim(["sync", "-p", "3.11"], shim_proj.parent, extra=extra)
        assert proc.returncode == 0, proc.stderr
        assert venv_version(shim_proj / ".venv") == "3.11"
        assert_tombstoned(shim_proj, "3.10")
        return
    plain_proj = cell.project(cell.tmp / "plain" / "proj")
    expected = cell.plain(["sync", "-p", "3.11"], plain_proj.parent, extra=extra)
    assert expected.returncode != 0 and "No `pyproject.toml` found" in expected.stderr
    dir_inode = (shim_proj / ".venv").stat().st_ino
    proc = cell.shim(["sync", "-p", "3.11"], shim_proj.parent, extra=extra)
    same_as_plain(proc, expected, shim_proj, plain_proj)
    assert_untouched(shim_proj, dir_inode)


def test_run_no_sync(cell: Cell) -> None:
    """`uv run --no-sync -p 3.11`: uv before 0.7.3 replaces the incompatible env anyway; later
    ones keep it with a warning."""
    argv = ["run", "--no-sync", "-p", "3.11", "python", "-c", PRINT_MINOR]
    shim_proj = cell.project(cell.tmp / "shim" / "proj")
    if not at_least(cell.version, NO_SYNC_KEEPS_FROM):
        proc = cell.shim(argv, shim_proj)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "3.11"
        assert_tombstoned(shim_proj, "3.10")
        return
    plain_proj = cell.project(cell.tmp / "plain" / "proj")
    expected = cell.plain(argv, plain_proj)
    assert expected.stdout.strip() == "3.10" and "incompatible environment" in expected.stderr
    dir_inode = (shim_proj / ".venv").stat().st_ino
    proc = cell.shim(argv, shim_proj)
    same_as_plain(proc, expected, shim_proj, plain_proj)
    assert_untouched(shim_proj, dir_inode)


def test_scenarios_are_the_table_columns() -> None:
    """uvversions.SCENARIOS (the results table's columns) names exactly this module's tests."""
    here = {
        name
        for name, obj in globals().items()
        if name.startswith("test_")
        and callable(obj)
        and {"cell", "ntfs_cell"} & set(obj.__code__.co_varnames)
    }
    assert here == {name for name, _ in SCENARIOS}
