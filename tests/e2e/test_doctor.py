"""`venvshim doctor` reports each failure it claims to detect, each made real here; and
`venvshim uninstall` undoes `venvshim install --modify-path`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, require, run
from tests.e2e.conftest import tombstones_in

SYSTEMD_WORKS = (
    subprocess.run(
        ["systemctl", "--user", "show-environment"], capture_output=True, check=False
    ).returncode
    == 0
    if sys.platform.startswith("linux") and os.path.exists("/usr/bin/systemctl")
    else False
)


def venvshim(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "venvshim", *args], env=env, cwd=cwd)


def doctor(env: dict[str, str], cwd: Path) -> tuple[int, dict[str, dict[str, object]]]:
    proc = venvshim(["doctor", "--json"], env, cwd)
    checks = {c["name"]: c for c in json.loads(proc.stdout)}
    for check in checks.values():  # every warning and every error says what to do
        assert check["status"] == "ok" or str(check["hint"]).strip(), check
    return proc.returncode, checks


@pytest.fixture
def installed(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """`venvshim install --modify-path` into the sandbox HOME; the env a hooked shell has."""
    shim_dir = Path(env["XDG_DATA_HOME"]) / "venvshim" / "bin"
    proc = venvshim(
        ["install", "--shim-dir", str(shim_dir), "--modify-path", "--no-scheduler"], env, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    return {**env, "PATH": f"{shim_dir}{os.pathsep}{env['PATH']}"}


def shim_dir_of(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "venvshim" / "bin"


def test_healthy(installed: dict[str, str], tmp_path: Path) -> None:
    code, checks = doctor(installed, tmp_path)
    assert code == 0, checks
    assert all(c["ok"] for c in checks.values())
    assert "0.13" in str(checks["real uv"]["detail"])
    text = venvshim(["doctor"], installed, tmp_path)
    assert text.returncode == 0 and text.stdout.strip().endswith("all good")


def test_wrong_path_order(installed: dict[str, str], tmp_path: Path) -> None:
    toolbin, shim = installed["PATH"].split(os.pathsep)[1], shim_dir_of(installed)
    env = {**installed, "PATH": os.pathsep.join([toolbin, str(shim), "/usr/bin", "/bin"])}
    code, checks = doctor(env, tmp_path)
    assert code == 1
    check = checks["uv in this shell"]
    assert not check["ok"] and "comes after" in str(check["detail"]) and check["hint"]
    out = venvshim(["doctor"], env, tmp_path).stdout
    assert "error: uv in this shell:" in out and "\nhint: " in out


def test_missing_hook(installed: dict[str, str], tmp_path: Path) -> None:
    bashrc = Path(installed["HOME"]) / ".bashrc"
    bashrc.write_text("")  # the user (or a dotfile manager) wiped the block
    (Path(installed["XDG_DATA_HOME"]) / "venvshim" / "hooks" / "venvshim.zsh").unlink()
    code, checks = doctor(installed, tmp_path)
    assert code == 1
    detail = str(checks["shell hooks"]["detail"])
    assert f"no venvshim block in {bashrc}" in detail and "venvshim.zsh is missing" in detail


def test_no_real_uv(installed: dict[str, str], tmp_path: Path) -> None:
    env = {**installed, "PATH": os.pathsep.join([str(shim_dir_of(installed)), "/usr/bin", "/bin"])}
    code, checks = doctor(env, tmp_path)
    assert code == 1
    assert not checks["real uv"]["ok"] and "install uv" in str(checks["real uv"]["hint"])


def test_two_shim_directories(installed: dict[str, str], tmp_path: Path) -> None:
    second = tmp_path / "second shims"
    proc = venvshim(["install", "--shim-dir", str(second), "--no-modify-path"], installed, tmp_path)
    assert proc.returncode == 0
    env = {**installed, "PATH": f"{shim_dir_of(installed)}{os.pathsep}{second}{os.pathsep}"
                               f"{installed['PATH']}"}  # fmt: skip
    code, checks = doctor(env, tmp_path)
    assert code == 1
    assert not checks["one shim"]["ok"] and "2 venvshim shim directories" in str(
        checks["one shim"]["detail"]
    )
    env = {**installed, "VENVSHIM_REAL_UV": str(second / "uv")}
    code, checks = doctor(env, tmp_path)
    assert code == 1 and not checks["one shim"]["ok"]


def test_state_root_not_writable(installed: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("")
    env = {**installed, "VENVSHIM_HOME": str(blocker / "state")}
    code, checks = doctor(env, tmp_path)
    assert code == 1 and not checks["state root"]["ok"]
    assert "VENVSHIM_HOME" in str(checks["state root"]["hint"])


def test_rename_self_test_only_in_a_project_and_leaves_no_trace(
    installed: dict[str, str], tmp_path: Path
) -> None:
    """Outside a project there is nothing to test; in one, the test moves a directory aside
    next to the project's env, and nothing of it is left; a project where nothing can be made
    or renamed (a read-only filesystem) fails the check with a hint."""
    outside = tmp_path / "not-a-project"
    outside.mkdir()
    assert "tombstone rename" not in doctor(installed, outside)[1]
    project = make_project(tmp_path / "proj")
    before = sorted(project.iterdir())
    assert doctor(installed, project)[1]["tombstone rename"]["ok"]
    assert sorted(project.iterdir()) == before
    readonly = tmp_path / "ro"
    readonly.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "none", str(readonly)],
                          capture_output=True, text=True)  # fmt: skip
    require(proc.returncode == 0, f"mounting a tmpfs needs root: {proc.stderr.strip()}")
    try:
        make_project(readonly / "proj")
        subprocess.run(["mount", "-o", "remount,ro", str(readonly)], check=True)
        code, checks = doctor(installed, readonly / "proj")
        check = checks["tombstone rename"]
        assert code == 1 and not check["ok"] and str(readonly) in str(check["detail"])
        assert check["hint"]
    finally:
        subprocess.run(["umount", "-l", str(readonly)], check=True)


def fake_systemctl(tmp_path: Path, *, unit_dir: Path) -> Path:
    """A systemctl whose user manager answers; `is-enabled` asks whether the timer file exists."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    script = bin_dir / "systemctl"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case "$*" in\n'
        f'  *is-enabled*) [ -f "{unit_dir}/venvshim-gc.timer" ] ;;\n'
        "  *) exit 0 ;;\n"
        "esac\n"
    )
    script.chmod(0o755)
    return bin_dir


def test_scheduler_missing_then_installed_then_removed(
    installed: dict[str, str], tmp_path: Path
) -> None:
    unit_dir = Path(installed["XDG_CONFIG_HOME"]) / "systemd" / "user"
    fake = fake_systemctl(tmp_path, unit_dir=unit_dir)
    env = {**installed, "PATH": f"{fake}{os.pathsep}{installed['PATH']}"}
    # Installed while systemd was unreachable (no opt-out), now it answers: the timer is missing.
    manifest = Path(installed["VENVSHIM_HOME"]) / "install.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "scheduler_opt_out": False}))
    code, checks = doctor(env, tmp_path)
    assert code == 1
    check = checks["periodic gc"]
    assert not check["ok"] and check["hint"]
    assert check["detail"] == "the systemd user timer venvshim-gc.timer is not installed"

    proc = venvshim(
        ["install", "--shim-dir", str(shim_dir_of(installed)), "--modify-path"], env, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "Installed systemd user timer" in proc.stdout
    assert 'ExecStart="' in (unit_dir / "venvshim-gc.service").read_text()
    code, checks = doctor(env, tmp_path)
    assert code == 0 and checks["periodic gc"]["ok"]
    assert checks["periodic gc"]["detail"] == "systemd user timer venvshim-gc.timer installed"
    log = (tmp_path / "systemctl.log").read_text()
    assert "--user enable --now venvshim-gc.timer" in log

    proc = venvshim(["uninstall"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (unit_dir / "venvshim-gc.timer").exists()
    assert "--user disable --now venvshim-gc.timer" in (tmp_path / "systemctl.log").read_text()


def test_scheduler_with_the_real_systemctl(env: dict[str, str], tmp_path: Path) -> None:
    """Here (a container, CI) the user manager is usually unreachable: doctor says so, as a
    warning, and install says so too. Where it works, the opt-out is reported instead."""
    shim_dir = Path(env["XDG_DATA_HOME"]) / "venvshim" / "bin"
    flags = ["--no-scheduler"] if SYSTEMD_WORKS else []  # never touch a real user manager
    proc = venvshim(
        ["install", "--shim-dir", str(shim_dir), "--modify-path", *flags], env, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    env = {**env, "PATH": f"{shim_dir}{os.pathsep}{env['PATH']}"}
    code, checks = doctor(env, tmp_path)
    check = checks["periodic gc"]
    assert check["ok"]
    if SYSTEMD_WORKS:
        assert "--no-scheduler" in str(check["detail"])
    else:
        assert check["status"] == "warning" and "unavailable" in str(check["detail"])
        assert "warning: periodic gc for editor users is not set up" in proc.stderr
    assert code == 0


def test_uninstall_restores_and_collects(
    installed: dict[str, str], tmp_path: Path, pythons: dict[str, Path]
) -> None:
    home = Path(installed["HOME"])
    project = make_project(tmp_path / "proj")
    run(["uv", "sync", "-p", "3.10"], env=installed, cwd=project, check=True)
    run(["uv", "sync", "-p", "3.11"], env=installed, cwd=project, check=True)
    run(["uv", "sync", "-p", "3.12"], env=installed, cwd=project, check=True)
    holder = subprocess.Popen(
        [project / ".venv" / "bin" / "python", "-c", "import time; time.sleep(60)"]
    )
    try:
        run(["uv", "sync", "-p", "3.13"], env=installed, cwd=project, check=True)
        assert tombstones_in(project)
        dry = venvshim(["uninstall", "--dry-run"], installed, tmp_path)
        assert dry.returncode == 0 and "Would delete ~/.bashrc" in dry.stdout
        assert (shim_dir_of(installed) / "uv").exists()
        proc = venvshim(["uninstall"], installed, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "warning: kept" in proc.stderr and "hint: close the programs" in proc.stderr
        left = tombstones_in(project)
        assert left and len(left) < 3, proc.stdout  # the oldest went; what is held is listed
        assert all(f"warning: kept {p}" in proc.stderr for p in left)
    finally:
        holder.kill()
        holder.wait()
    assert not (shim_dir_of(installed) / "uv").exists()
    for name in (".profile", ".bashrc", ".zshrc", ".zprofile"):
        assert not (home / name).exists()  # venvshim created them: gone again


def doctor_from(shell: str, env: dict[str, str], cwd: Path) -> dict[str, object]:
    """The login-shell check of `venvshim doctor` run from `shell`, as a user types it there
    (`; :` keeps the shell as doctor's parent, where shellingham finds it)."""
    exe = shutil.which(shell)
    require(exe is not None, f"{shell} (apt-get install {shell})")
    assert exe is not None
    command = f"{shlex.quote(sys.executable)} -m venvshim doctor --json; :"
    proc = run([exe, "-c", command], env={**env, "SHELL": "/nonexistent/shell"}, cwd=cwd)
    return {c["name"]: c for c in json.loads(proc.stdout)}["uv in your login shell"]


def uvs_own_dir(env: dict[str, str], real_uv: Path) -> Path:
    uv_dir = Path(env["HOME"]) / ".local" / "bin"
    uv_dir.mkdir(parents=True, exist_ok=True)
    (uv_dir / "uv").symlink_to(real_uv)
    return uv_dir


def test_login_shell_finds_the_shim(installed: dict[str, str], tmp_path: Path) -> None:
    check = doctor_from("bash", installed, tmp_path)
    assert check["status"] == "ok" and "`bash -ilc 'command -v uv'`" in str(check["detail"])
    assert "finds the shim" in str(check["detail"])


def test_login_shell_without_a_block_names_the_file_and_line(
    installed: dict[str, str], tmp_path: Path, real_uv: Path
) -> None:
    """A ~/.bash_profile made after the install: login bash reads it instead of ~/.profile."""
    uv_dir = uvs_own_dir(installed, real_uv)
    bash_profile = Path(installed["HOME"]) / ".bash_profile"
    bash_profile.write_text('export EDITOR=vi\nexport PATH="$HOME/.local/bin:$PATH"\n')
    check = doctor_from("bash", installed, tmp_path)
    assert check["status"] == "error", check
    detail = str(check["detail"])
    assert f"finds {uv_dir / 'uv'}, not the shim" in detail
    assert f"reads {bash_profile}, none with a venvshim block" in detail
    assert f"{bash_profile} line 2 (`export PATH=" in detail and "install.sh" in str(check["hint"])


def test_login_shell_names_the_line_after_the_block(
    installed: dict[str, str], tmp_path: Path, real_uv: Path
) -> None:
    """dash reads ~/.profile alone and has no moment after its last line: a line after the block
    wins there, and doctor names it (an unrelated PATH line after it does not fool it)."""
    uvs_own_dir(installed, real_uv)
    profile = Path(installed["HOME"]) / ".profile"
    with profile.open("a") as fh:
        fh.write('. "$HOME/.local/bin/env"\nPATH="$PATH:/opt/tools/bin"\n')
    (Path(installed["HOME"]) / ".local" / "bin" / "env").write_text(
        'case ":${PATH}:" in *:"$HOME/.local/bin":*) ;; *) export PATH="$HOME/.local/bin:$PATH" ;; '
        "esac\n"
    )
    number = profile.read_text().splitlines().index('. "$HOME/.local/bin/env"') + 1
    check = doctor_from("dash", installed, tmp_path)
    assert check["status"] == "error", check
    assert f'{profile} line {number} (`. "$HOME/.local/bin/env"`) changes PATH' in str(
        check["detail"]
    )
    assert "move that line above the `# >>> venvshim >>>` block" in str(check["hint"])
    # Put above the block, it no longer wins.
    lines = profile.read_text().splitlines(keepends=True)
    moved = [lines[number - 1], *lines[: number - 1], *lines[number:]]
    profile.write_text("".join(moved))
    assert doctor_from("dash", installed, tmp_path)["status"] == "ok"
