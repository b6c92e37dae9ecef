"""A project whose package executable runs (uv #11134: `uv remove ruff` while the Ruff server
runs): its removal and its upgrade, through every command that does them, with the real uv.

Under the NTFS emulation plain uv fails on the running file; through the shim the command
succeeds, the package is gone or upgraded, the process keeps running from its file, moved aside
beside `.venv`, and gc leaves nothing once it exits. The same on plain POSIX semantics. A uv
failure (a version that does not resolve) leaves the package exactly as it was. A command that
removes nothing moves nothing and, repeated, never even starts Python.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import run
from tests.e2e.conftest import status_json, venvshim
from tests.support.ntfsemu import NtfsemuKit, hold_exe, preload_env
from tests.support.wheels import native_tool_wheels
from venvshim.intercept import decision, packages, uvargs
from venvshim.state import StateRoot

pytest_plugins = ["tests.support.ntfsemu"]

PYPROJECT = (
    '[project]\nname = "proj"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
    'dependencies = ["nativetool>=1"]\n\n[tool.uv]\npackage = false\n'
)


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory, ntfsemu: NtfsemuKit) -> Path:
    return native_tool_wheels(tmp_path_factory.mktemp("wheels"), ntfsemu.holder)


class Project:
    """A project depending on nativetool, synced at 1.0 by the plain uv; 2.0 on `release_2`."""

    def __init__(self, root: Path, env: dict[str, str], wheels: Path, real_uv: Path) -> None:
        self.root = root
        self.links = root.parent / f"{root.name}-links"
        self.links.mkdir()
        shutil.copy2(wheels / "nativetool-1.0-py3-none-any.whl", self.links)
        self.wheels = wheels
        self.env = {**env, "UV_FIND_LINKS": str(self.links), "VENVSHIM_NO_BACKGROUND_GC": "1"}
        root.mkdir()
        (root / "pyproject.toml").write_text(PYPROJECT)
        run([real_uv, "sync", "-p", "3.11"], env=self.env, cwd=root, check=True)
        self.exe = root / ".venv" / "bin" / "nt-sleep"
        self.site = root / ".venv" / "lib" / "python3.11" / "site-packages"

    def release_2(self) -> None:
        shutil.copy2(self.wheels / "nativetool-2.0-py3-none-any.whl", self.links)

    def uv(self, uv: str | Path, *args: str, lib: Path | None = None):  # type: ignore[no-untyped-def]
        env = preload_env(self.env, lib) if lib is not None else self.env
        return run([uv, *args], env=env, cwd=self.root)

    def installed(self) -> list[str]:
        return sorted(p.name for p in self.site.glob("nativetool-*.dist-info"))

    def tombstones(self) -> list[Path]:
        return sorted(p for p in self.root.iterdir() if ".venvshim-" in p.name)


def _exe(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/exe")


def test_plain_uv_fails_under_the_emulation(
    tmp_path: Path, env: dict[str, str], real_uv: Path, wheels: Path, ntfsemu: NtfsemuKit
) -> None:
    proj = Project(tmp_path / "proj", env, wheels, real_uv)
    proj.release_2()
    with hold_exe(proj.exe):
        removed = proj.uv(real_uv, "remove", "nativetool", lib=ntfsemu.lib)
        assert removed.returncode != 0 and "os error 13" in removed.stderr, removed.stderr
        assert proj.installed() == ["nativetool-1.0.dist-info"]
        assert proj.uv(real_uv, "lock", "--upgrade").returncode == 0
        synced = proj.uv(real_uv, "sync", lib=ntfsemu.lib)
        assert synced.returncode != 0 and "failed to remove file" in synced.stderr
        pip = proj.uv(real_uv, "pip", "install", "nativetool==2.0", lib=ntfsemu.lib)
        assert pip.returncode != 0 and "os error 13" in pip.stderr
        assert proj.installed() == ["nativetool-1.0.dist-info"]


UPGRADE_THEN_REMOVE = {
    "sync": (["lock", "--upgrade"], ["sync"], ["remove", "nativetool"]),
    "add": (None, ["add", "nativetool==2.0"], ["remove", "nativetool"]),
    "pip": (None, ["pip", "install", "nativetool==2.0"], ["pip", "uninstall", "nativetool"]),
}


@pytest.mark.parametrize("emulation", [True, False], ids=["ntfs", "posix"])
@pytest.mark.parametrize("how", sorted(UPGRADE_THEN_REMOVE))
def test_upgrade_then_remove_while_running(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    wheels: Path,
    ntfsemu: NtfsemuKit,
    emulation: bool,
    how: str,
) -> None:
    lib = ntfsemu.lib if emulation else None
    before, upgrade, remove = UPGRADE_THEN_REMOVE[how]
    proj = Project(tmp_path / "proj", shim_env, wheels, real_uv)
    proj.release_2()
    with hold_exe(proj.exe) as old:
        if before is not None:
            assert proj.uv("uv", *before).returncode == 0
        up = proj.uv("uv", *upgrade, lib=lib)
        assert up.returncode == 0, up.stderr
        assert proj.installed() == ["nativetool-2.0.dist-info"]
        assert proj.exe.read_bytes().endswith(b"nativetool-2.0\n")
        # The running 1.0 runs on from its file, moved aside beside .venv: never deleted.
        (tomb,) = proj.tombstones()
        assert tomb.name.startswith(".venv.venvshim-files-")
        assert old.poll() is None and _exe(old.pid) == str(tomb / "bin" / "nt-sleep")
        (row,) = status_json(proj.env, proj.root)
        assert row["kind"] == "files" and row["label"] == "nativetool 1.0"
        assert [h["pid"] for h in row["holders"]] == [old.pid]
        with hold_exe(proj.exe) as new:
            gone = proj.uv("uv", *remove, lib=lib)
            assert gone.returncode == 0, gone.stderr
            assert proj.installed() == [] and not proj.exe.exists()
            if how != "pip":
                assert "nativetool" not in (proj.root / "pyproject.toml").read_text()
            assert old.poll() is None and new.poll() is None
            assert len(proj.tombstones()) == 2
            assert "(deleted)" not in _exe(new.pid) and Path(_exe(new.pid)).is_file()
    assert venvshim(["gc"], env=proj.env, cwd=proj.root).returncode == 0
    assert proj.tombstones() == [] and status_json(proj.env, proj.root) == []


@pytest.mark.parametrize(
    "argv",
    [["add", "nativetool==3.0"], ["pip", "install", "nativetool==3.0"]],
    ids=["add", "pip"],
)
def test_a_version_that_does_not_resolve_leaves_the_package_as_it_was(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    wheels: Path,
    ntfsemu: NtfsemuKit,
    argv: list[str],
) -> None:
    proj = Project(tmp_path / "proj", shim_env, wheels, real_uv)
    files = {p: p.read_bytes() for p in (proj.root / "pyproject.toml", proj.root / "uv.lock")}
    inode = os.lstat(proj.exe).st_ino
    with hold_exe(proj.exe) as holder:
        failed = proj.uv("uv", *argv, lib=ntfsemu.lib)
        assert failed.returncode != 0 and "nativetool==3.0" in failed.stderr, failed.stderr
        assert os.lstat(proj.exe).st_ino == inode and _exe(holder.pid) == str(proj.exe)
        assert proj.installed() == ["nativetool-1.0.dist-info"]
        assert {p: p.read_bytes() for p in files} == files
        assert proj.tombstones() == [] and status_json(proj.env, proj.root) == []


def _exec_line(shim_dir: Path, argv: list[str], proj: Project) -> str:
    proc = run(["sh", "-x", shim_dir / "uv", *argv], env=proj.env, cwd=proj.root)
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("+ exec ")]
    return line


def test_no_op_moves_nothing_and_repeated_never_starts_python(
    tmp_path: Path,
    shim_env: dict[str, str],
    shim_dir: Path,
    real_uv: Path,
    wheels: Path,
    ntfsemu: NtfsemuKit,
) -> None:
    proj = Project(tmp_path / "proj", shim_env, wheels, real_uv)
    venv = proj.root / ".venv"
    old = time.time() - 3600  # verdicts are not cached on files changed in the last 2 s
    for path in (proj.root / "pyproject.toml", proj.root / "uv.lock", proj.site, venv,
                 venv / "pyvenv.cfg", venv / "bin" / "python"):  # fmt: skip
        os.utime(path, (old, old), follow_symlinks=False)
    state = StateRoot(Path(proj.env["VENVSHIM_HOME"]))
    with hold_exe(proj.exe) as holder:
        # Nothing would be removed: no guard, so the handover never scans the processes.
        for argv in (["sync"], ["run", "true"]):
            plan = decision.plan(
                str(real_uv), uvargs.parse(argv), cwd=proj.root, env=proj.env, state=state
            )
            assert (plan.action, plan.removes, plan.changes is not None) == ("keep", False, True)
        pip = ["pip", "install", "nativetool"]
        plan = packages.plan(str(real_uv), uvargs.parse(pip), cwd=proj.root, env=proj.env,
                             state=state)  # fmt: skip
        assert plan.removes is False and plan.env_path == venv
        for argv in (pip, ["sync"]):
            assert run(["uv", *argv], env=proj.env, cwd=proj.root).returncode == 0
            again = _exec_line(shim_dir, argv, proj)
            assert " -I -S -c " not in again, again  # no Python: the cached verdict held
        assert proj.tombstones() == []
        # A dist that goes changes site-packages: the verdict no longer holds.
        proj.release_2()
        assert proj.uv("uv", "pip", "install", "nativetool==2.0", lib=ntfsemu.lib).returncode == 0
        assert holder.poll() is None and len(proj.tombstones()) == 1
        assert " -I -S -c " in _exec_line(shim_dir, pip, proj)
