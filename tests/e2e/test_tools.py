"""A tool whose native entry point runs (as ruff's does in an editor) is upgraded, force-reinstalled
on another Python and uninstalled: with the real uv, real processes, wheels built here.

Under the NTFS emulation plain uv fails each time the same way it does on Windows (uv #11930:
"Failed to upgrade", then a "malformed" tool), which proves the set-up reproduces the bug; through
the shim each command succeeds, `uv tool list` is clean, the running process stays alive on its
file, moved out of uv's way, and once it exits gc leaves nothing. On plain POSIX semantics the same
sequence pins what the running tool keeps. A uv failure in the middle (a version that does not
resolve) leaves the tool exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run, venv_version
from tests.e2e.conftest import status_json, venvshim
from tests.support.ntfsemu import NtfsemuKit, hold_exe, preload_env
from tests.support.wheels import native_tool_wheels

pytest_plugins = ["tests.support.ntfsemu"]


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory, ntfsemu: NtfsemuKit) -> Path:
    return native_tool_wheels(tmp_path_factory.mktemp("wheels"), ntfsemu.holder)


class Tools:
    """One HOME with its own uv tool dir and bin dir, and a find-links dir holding 1.0 only
    until `release_2` (the receipt remembers the find-links dir, as a user's index)."""

    def __init__(self, root: Path, env: dict[str, str], wheels: Path) -> None:
        home = Path(env["HOME"])
        share = home / ".local" / "share"
        self.links = root / "links"
        self.env = {
            **env,
            "XDG_DATA_HOME": str(share),
            "UV_FIND_LINKS": str(self.links),
            "VENVSHIM_NO_BACKGROUND_GC": "1",
        }
        self.tool_dir = share / "uv" / "tools"
        self.area = share / "uv" / ".tools.venvshim"
        self.bin = home / ".local" / "bin"
        self.links.mkdir()
        self.wheels = wheels
        shutil.copy2(wheels / "nativetool-1.0-py3-none-any.whl", self.links)
        self.cwd = root

    @property
    def tool_env(self) -> Path:
        return self.tool_dir / "nativetool"

    def release_2(self) -> None:
        shutil.copy2(self.wheels / "nativetool-2.0-py3-none-any.whl", self.links)

    def install(self, uv: str | Path, python: str = "3.11") -> None:
        run(
            [uv, "tool", "install", "-p", python, "nativetool"],
            env=self.env,
            cwd=self.cwd,
            check=True,
        )

    def uv(self, uv: str | Path, *args: str, lib: Path | None = None):  # type: ignore[no-untyped-def]
        env = preload_env(self.env, lib) if lib is not None else self.env
        return run([uv, *args], env=env, cwd=self.cwd)

    def listing(self) -> str:
        proc = self.uv("uv", "tool", "list")
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stderr and "malformed" not in proc.stderr, proc.stderr
        return proc.stdout + proc.stderr  # "No tools installed" goes to stderr

    def version_of_entry_point(self) -> str:
        return (self.bin / "nt-sleep").read_bytes().rsplit(b"\n", 2)[-2].decode()

    def snapshot(self) -> dict[str, object]:
        """Everything that makes the installed tool what it is, inode of the env included."""
        files = {
            str(p.relative_to(self.tool_env)): (p.read_bytes() if p.is_file() else os.readlink(p))
            for p in sorted(self.tool_env.rglob("*"))
            if p.is_file() or p.is_symlink()
        }
        return {
            "env": os.lstat(self.tool_env).st_ino,
            "files": files,
            "entry": os.readlink(self.bin / "nt-sleep"),
            "entry_file": os.lstat(self.tool_env / "bin" / "nt-sleep").st_ino,
        }


def _exe(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/exe")


def _nothing_left(tools: Tools) -> None:
    gc = venvshim(["gc"], env=tools.env, cwd=tools.cwd)
    assert gc.returncode == 0, gc.stderr
    assert status_json(tools.env, tools.cwd) == []
    assert not tools.area.exists()
    assert not [n for n in os.listdir(tools.bin.parent) if "venvshim" in n]  # nor beside bin/


def test_plain_uv_fails_under_the_emulation(
    tmp_path: Path, env: dict[str, str], real_uv: Path, wheels: Path, ntfsemu: NtfsemuKit
) -> None:
    """The set-up reproduces uv #11930 and its family: each command fails on the running exe."""
    tools = Tools(tmp_path, env, wheels)
    tools.install(real_uv)
    tools.release_2()
    with hold_exe(tools.bin / "nt-sleep"):
        up = tools.uv(real_uv, "tool", "upgrade", "nativetool", lib=ntfsemu.lib)
        assert up.returncode != 0 and "os error 13" in up.stderr, up.stderr
        assert "nativetool v1.0" in tools.listing()
        force = tools.uv(real_uv, "tool", "install", "--force", "-p", "3.12", "nativetool",
                         lib=ntfsemu.lib)  # fmt: skip
        assert force.returncode != 0 and "failed to remove directory" in force.stderr
        malformed = tools.uv(real_uv, "tool", "list")
        assert "Ignoring malformed tool `nativetool`" in malformed.stderr
    shutil.rmtree(tools.tool_env)
    (tools.bin / "nt-sleep").unlink()
    tools.install(real_uv)
    with hold_exe(tools.bin / "nt-sleep"):
        gone = tools.uv(real_uv, "tool", "uninstall", "nativetool", lib=ntfsemu.lib)
        assert gone.returncode != 0 and "failed to remove directory" in gone.stderr
        assert "malformed" in tools.uv(real_uv, "tool", "list").stderr


@pytest.mark.parametrize("emulation", [True, False], ids=["ntfs", "posix"])
def test_upgrade_force_reinstall_uninstall_while_running(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    wheels: Path,
    ntfsemu: NtfsemuKit,
    emulation: bool,
) -> None:
    tools = Tools(tmp_path, shim_env, wheels)
    lib = ntfsemu.lib if emulation else None
    tools.install(real_uv)
    tools.release_2()
    with hold_exe(tools.bin / "nt-sleep") as first:
        up = tools.uv("uv", "tool", "upgrade", "nativetool", lib=lib)
        assert up.returncode == 0, up.stderr
        assert "nativetool v2.0" in tools.listing() and tools.version_of_entry_point() == (
            "nativetool-2.0"
        )
        # The running 1.0 keeps its file, moved aside beside the tool dir (never into it).
        (moved,) = [r for r in status_json(tools.env, tools.cwd) if r["kind"] == "tool-files"]
        assert moved["label"] == "tool nativetool: nativetool 1.0"
        assert {h["pid"] for h in moved["holders"]} == {first.pid}
        assert _exe(first.pid).startswith(str(tools.area)) and "(deleted)" not in _exe(first.pid)
        assert Path(_exe(first.pid)).read_bytes().endswith(b"nativetool-1.0\n")
        with hold_exe(tools.bin / "nt-sleep") as second:
            force = tools.uv("uv", "tool", "install", "--force", "-p", "3.12", "nativetool",
                             lib=lib)  # fmt: skip
            assert force.returncode == 0, force.stderr
            assert "nativetool v2.0" in tools.listing()
            assert venv_version(tools.tool_env) == "3.12"
            whole = [r for r in status_json(tools.env, tools.cwd) if r["kind"] == "tool"]
            assert [r["label"] for r in whole] == ["tool nativetool"]
            assert _exe(second.pid) == os.path.join(str(whole[0]["path"]), "bin", "nt-sleep")
            with hold_exe(tools.bin / "nt-sleep") as third:
                gone = tools.uv("uv", "tool", "uninstall", "nativetool", lib=lib)
                assert gone.returncode == 0, gone.stderr
                assert "Uninstalled 1 executable: nt-sleep" in gone.stderr
                assert "No tools installed" in tools.listing()
                assert not (tools.bin / "nt-sleep").exists() and not tools.tool_env.exists()
                # Every process still runs, each from its own version's file.
                for proc in (first, second, third):
                    assert proc.poll() is None
                    assert Path(_exe(proc.pid)).is_file()
                gc = venvshim(["gc", "--json"], env=tools.env, cwd=tools.cwd)
                assert [o["action"] for o in json.loads(gc.stdout)] == ["held"] * 3, gc.stdout
    _nothing_left(tools)


@pytest.mark.parametrize(
    "argv",
    [
        ["tool", "install", "--force", "nativetool==3.0"],  # the tool tombstoned, then put back
        ["tool", "install", "nativetool==3.0"],  # in place: its running file moved, put back
        ["tool", "install", "-p", "3.12", "nativetool==3.0"],  # another Python: tombstoned
    ],
    ids=["force", "in-place", "other-python"],
)
def test_a_version_that_does_not_resolve_leaves_the_tool_as_it_was(
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    wheels: Path,
    ntfsemu: NtfsemuKit,
    argv: list[str],
) -> None:
    tools = Tools(tmp_path, shim_env, wheels)
    tools.install(real_uv)
    before = tools.snapshot()
    with hold_exe(tools.bin / "nt-sleep") as holder:
        failed = tools.uv("uv", *argv, lib=ntfsemu.lib)
        assert failed.returncode != 0 and "nativetool==3.0" in failed.stderr, failed.stderr
        assert tools.snapshot() == before
        assert "nativetool v1.0" in tools.listing()
        assert holder.poll() is None and _exe(holder.pid) == str(tools.tool_env / "bin/nt-sleep")
        assert status_json(tools.env, tools.cwd) == []
    assert not tools.area.exists()


def test_nothing_in_use_costs_no_tombstone(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, wheels: Path
) -> None:
    """An upgrade with nothing running moves nothing; an uninstall still tombstones (uv deletes
    the environment), and gc collects it at once."""
    tools = Tools(tmp_path, shim_env, wheels)
    tools.install(real_uv)
    tools.release_2()
    assert tools.uv("uv", "tool", "upgrade", "nativetool").returncode == 0
    assert status_json(tools.env, tools.cwd) == [] and not tools.area.exists()
    assert tools.uv("uv", "tool", "uninstall", "nativetool").returncode == 0
    assert "No tools installed" in tools.listing()
    _nothing_left(tools)


def test_uv_pip_into_a_tool_env_keeps_its_tombstone_out_of_the_tool_dir(
    tmp_path: Path, shim_env: dict[str, str], real_uv: Path, wheels: Path, ntfsemu: NtfsemuKit
) -> None:
    """`uv pip install --python <tool env>` changes a tool's packages: the running file goes to
    the tool area, not beside the env (inside uv's tool dir, where uv would take it for a tool)."""
    tools = Tools(tmp_path, shim_env, wheels)
    tools.install(real_uv)
    tools.release_2()
    with hold_exe(tools.bin / "nt-sleep") as holder:
        argv = ["pip", "install", "--python", str(tools.tool_env), "nativetool==2.0"]
        up = tools.uv("uv", *argv, lib=ntfsemu.lib)
        assert up.returncode == 0, up.stderr
        assert [p.name for p in tools.tool_dir.iterdir() if not p.name.startswith(".")] == [
            "nativetool"
        ]
        (row,) = status_json(tools.env, tools.cwd)
        assert row["kind"] == "tool-files" and Path(str(row["path"])).parent == tools.area
        assert holder.poll() is None and "nativetool v2.0" in tools.listing()
    _nothing_left(tools)
