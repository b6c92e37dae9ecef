"""install.sh, run end to end with dash in a sandbox HOME whose path has spaces, quotes and
non-ASCII: `uv tool install` from a copy of this checkout (offline: the build backend and the
dependencies come from a wheelhouse repacked from this test environment), then the real bash, zsh
and fish, interactive and login, must find the shim, `uv sync -p` must go through it, a second run
must change nothing, and --uninstall must give every rc file back its exact bytes.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project, require, run, venv_version
from tests.e2e.conftest import tombstones_in
from tests.e2e.test_hooks import pty_shell, shell_exe

DEPS = ["setuptools", "psutil", "shellingham"]
WEIRD = 'it\'s a "höme" dir'


def repack(name: str, dest: Path) -> Path:
    """A wheel of an installed distribution, from its RECORD (no network, no build)."""
    dist = md.distribution(name)
    wheel = dist.read_text("WHEEL") or ""
    tags = [
        ln.split(":", 1)[1].strip().split("-") for ln in wheel.splitlines() if ln.startswith("Tag:")
    ]
    tag = "-".join(".".join(sorted({t[i] for t in tags})) for i in range(3))
    norm = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    target = dest / f"{norm}-{dist.version}-{tag}.whl"
    info = f"{norm}-{dist.version}.dist-info"
    record = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in dist.files or []:
            if f.parts[0] == ".." or "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            arc = f.as_posix()
            if f.parts[0].endswith(".dist-info"):
                if f.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                    continue
                arc = f"{info}/{f.name}"
            data = Path(str(f.locate())).read_bytes()
            zf.writestr(arc, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arc},sha256={digest.decode()},{len(data)}")
        zf.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return target


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("wheelhouse")
    names = DEPS + (["tomli"] if sys.version_info < (3, 11) else [])
    for name in names:
        try:
            md.distribution(name)
        except md.PackageNotFoundError:
            require(False, f"{name} installed in the test environment (pip install -e '.[test]')")
        repack(name, dest)
    version = tuple(int(x) for x in md.version("setuptools").split(".")[:1])
    require(version >= (77,), "setuptools>=77 in the test environment (the build-system minimum)")
    return dest


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout (uv builds in the source tree: keep the real one clean)."""
    dest = tmp_path_factory.mktemp("checkout") / "venvshim"
    dest.mkdir()
    for name in ("install.sh", "install.ps1", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "hooks", dest / "hooks", ignore=ignore)
    shutil.copytree(REPO / "shim", dest / "shim", ignore=ignore)
    return dest


def sandbox(tmp_path: Path, env: dict[str, str], wheelhouse: Path) -> dict[str, str]:
    home = tmp_path / WEIRD
    home.mkdir()
    (home / "tmp").mkdir()
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    return {
        **env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "VENVSHIM_HOME": str(home / ".local" / "state" / "venvshim"),
        "TMPDIR": str(home / "tmp"),
        "UV_FIND_LINKS": str(wheelhouse),
        "UV_PYTHON": py,  # the repacked binary wheels are this interpreter's
        "TERM": "dumb",
    }


def install_sh(checkout: Path, env: dict[str, str], *args: str) -> str:
    dash = shutil.which("dash") or "/bin/sh"
    proc = run([dash, checkout / "install.sh", *args], env=env, cwd=Path(env["HOME"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def rc_files(home: Path) -> dict[str, bytes | None]:
    names = [".profile", ".bashrc", ".bash_profile", ".zshrc", ".zprofile",
             ".config/fish/config.fish", ".config/fish/conf.d/venvshim.fish"]  # fmt: skip
    return {n: (home / n).read_bytes() if (home / n).exists() else None for n in names}


def test_install_sh_hooks_every_shell_then_uninstall_restores_bytes(
    tmp_path: Path, env: dict[str, str], wheelhouse: Path, checkout: Path, pythons: dict[str, Path]
) -> None:
    env = sandbox(tmp_path, env, wheelhouse)
    home = Path(env["HOME"])
    (home / ".bashrc").write_bytes(b"# my bashrc\nexport A=1")  # no final newline
    (home / ".bash_profile").write_bytes(b"[ -f ~/.bashrc ] && . ~/.bashrc\n")
    (home / ".zshrc").write_bytes(b"setopt no_beep\r\n")
    before = rc_files(home)

    out = install_sh(checkout, env)
    shim = home / ".local" / "share" / "venvshim" / "bin" / "uv"
    assert shim.is_file() and str(shim) in out and "open a new terminal" in out
    after_first = rc_files(home)
    assert all(after_first[n] for n in (".profile", ".bashrc", ".bash_profile", ".zshrc"))
    assert after_first[".config/fish/conf.d/venvshim.fish"]
    install_sh(checkout, env)  # again: nothing more changes
    assert rc_files(home) == after_first

    for shell in ("bash", "zsh", "fish"):
        exe = shell_exe(shell)
        for mode in ("-i", "-l"):
            proc = run([exe, mode, "-c", "command -v uv"], env=env, cwd=home)
            assert proc.stdout.strip().splitlines()[-1] == str(shim), (shell, mode, proc)
    dash = shutil.which("dash") or "/bin/sh"
    proc = run([dash, "-l", "-c", "command -v uv"], env=env, cwd=home)
    assert proc.stdout.strip() == str(shim)

    # `uv sync -p` in an interactive shell goes through the shim: the old env becomes a tombstone.
    project = make_project(home / "my proj")
    run(["bash", "-i", "-c", "uv sync -p 3.10"], env=env, cwd=project, check=True)
    run(["bash", "-i", "-c", "uv sync -p 3.11"], env=env, cwd=project, check=True)
    assert venv_version(project / ".venv") == "3.11"
    assert len(tombstones_in(project)) == 1

    doctor = run(["bash", "-i", "-c", "~/.local/bin/venvshim doctor"], env=env, cwd=project)
    assert "ok: uv in this shell" in doctor.stdout and "ok: shell hooks" in doctor.stdout

    out = install_sh(checkout, env, "--uninstall")
    assert "uninstalled" in out
    assert rc_files(home) == before
    assert not (home / ".local" / "share" / "venvshim").exists()
    assert not (home / ".config" / "fish" / "conf.d").exists()
    assert not tombstones_in(project)  # nothing held it: gc deleted it


def test_a_later_rc_line_that_prepends_uvs_dir_does_not_win(
    tmp_path: Path, env: dict[str, str], wheelhouse: Path, checkout: Path, real_uv: Path,
    pythons: dict[str, Path],
) -> None:  # fmt: skip
    env = sandbox(tmp_path, env, wheelhouse)
    home = Path(env["HOME"])
    install_sh(checkout, env, "--no-scheduler")
    # What uv's standalone installer adds after us: ~/.local/bin first on PATH.
    uv_bin = home / ".local" / "bin"
    (uv_bin / "uv").symlink_to(real_uv)
    (uv_bin / "env").write_text('export PATH="$HOME/.local/bin:$PATH"\n')
    (uv_bin / "env.fish").write_text('set -gx PATH "$HOME/.local/bin" $PATH\n')
    for name in (".bashrc", ".zshrc"):
        with (home / name).open("a") as fh:
            fh.write('. "$HOME/.local/bin/env"\n')
    (home / ".config" / "fish" / "config.fish").write_text('source "$HOME/.local/bin/env.fish"\n')
    shim = home / ".local" / "share" / "venvshim" / "bin" / "uv"
    project = make_project(home / "proj ü")
    run([real_uv, "sync", "-p", "3.10"], env=env, cwd=project, check=True)
    holders = []
    try:
        for n, (shell, version) in enumerate((("bash", "3.11"), ("zsh", "3.12"), ("fish", "3.13"))):
            # A program running from the env (an editor's language server): gc must keep it.
            python = project / ".venv" / "bin" / "python"
            holders.append(subprocess.Popen([python, "-c", "import time; time.sleep(120)"]))
            exe = shell_exe(shell)
            with pty_shell([exe, "-i"], {**env, "SHELL": exe}, project) as sh:
                assert sh.run("command -v uv").strip() == str(shim), shell
                sh.run(f"uv sync -q -p {version}", timeout=120)
            assert venv_version(project / ".venv") == version, shell
            assert len(tombstones_in(project)) == n + 1, shell  # it went through the shim
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()


def test_no_modify_path_touches_no_rc_file(
    tmp_path: Path, env: dict[str, str], wheelhouse: Path, checkout: Path
) -> None:
    env = sandbox(tmp_path, env, wheelhouse)
    home = Path(env["HOME"])
    out = install_sh(checkout, env, "--no-modify-path")
    assert rc_files(home) == dict.fromkeys(rc_files(home))
    assert "export PATH=" in out and (home / ".local/share/venvshim/bin/uv").is_file()


def test_without_uv_it_says_how_to_get_it(tmp_path: Path, checkout: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = run(["sh", checkout / "install.sh"], env=env, cwd=tmp_path)
    assert proc.returncode == 1
    assert (
        proc.stderr.startswith("error: uv is not on PATH") and "\nhint: install uv" in proc.stderr
    )


def test_refuses_uvs_own_directory(
    tmp_path: Path, env: dict[str, str], wheelhouse: Path, checkout: Path
) -> None:
    env = sandbox(tmp_path, env, wheelhouse)
    uv_dir = Path(env["PATH"].split(os.pathsep)[0])  # the toolbin holding the real uv
    proc = run(["sh", checkout / "install.sh", "--shim-dir", uv_dir], env=env, cwd=tmp_path)
    assert proc.returncode == 1
    assert "directory of its own" in proc.stderr and "hint: " in proc.stderr
    assert not (uv_dir / ".venvshim-shim-dir").exists()
