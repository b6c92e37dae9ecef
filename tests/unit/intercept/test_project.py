"""project.py: which environment a command targets, and which files can change the verdict."""

from __future__ import annotations

from pathlib import Path

from venvshim.intercept import project
from venvshim.intercept.uvargs import parse
from venvshim.intercept.uvfacts import Facts


def _proj(path: Path, extra: str = "") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(f'[project]\nname = "{path.name}"\nversion = "0"\n{extra}')
    return path


def test_workspace_members_share_the_root_env(tmp_path: Path) -> None:
    root = _proj(
        tmp_path / "ws",
        '\n[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/x"]\n',
    )
    member = _proj(root / "packages" / "a")
    excluded = _proj(root / "packages" / "x")
    found = project.discover(member / "src")
    assert found is not None and found.workspace_root == root
    assert [m.name for m in found.member_dirs] == [
        "a",
        "x",
    ]  # globbed; exclusion decides membership
    alone = project.discover(excluded)
    assert alone is not None and alone.workspace_root == excluded
    assert project.discover(tmp_path) is None


def test_target_env_dir_as_uv_resolves_it(tmp_path: Path) -> None:
    proj = _proj(tmp_path / "proj")
    sync = parse(["sync"])
    assert project.target_env_dir(sync, cwd=proj, env={}) == proj / ".venv"
    assert project.target_env_dir(sync, cwd=proj, env={"UV_PROJECT_ENVIRONMENT": "e"}) == proj / "e"
    assert (
        project.target_env_dir(sync, cwd=tmp_path, env={"UV_WORKING_DIR": "proj"}) == proj / ".venv"
    )
    assert project.target_env_dir(sync, cwd=tmp_path, env={"UV_PROJECT": "proj"}) == proj / ".venv"
    old = Facts((0, 9, 0))  # UV_WORKING_DIR came in 0.9.14, UV_WORKING_DIRECTORY in 0.9.1
    assert (
        project.target_env_dir(sync, cwd=tmp_path, env={"UV_WORKING_DIR": "proj"}, facts=old)
        is None
    )
    active = parse(["sync", "--active"])
    assert (
        project.target_env_dir(
            active, cwd=tmp_path, env={"VIRTUAL_ENV": "venvs/x", "UV_WORKING_DIR": "proj"}
        )
        == proj / "venvs" / "x"
    )  # relative: to where uv works
    venv = parse(["venv", "--clear"])
    assert project.target_env_dir(venv, cwd=proj / "sub", env={}) == proj / "sub" / ".venv"
    assert project.target_env_dir(parse(["venv", "other"]), cwd=proj, env={}) == proj / "other"


def test_watched_paths_cover_what_changes_the_verdict(tmp_path: Path) -> None:
    proj = _proj(tmp_path / "proj")
    watched = set(project.watched_paths(parse(["sync"]), cwd=proj, env={"HOME": str(tmp_path)},
                                        env_dir=proj / ".venv"))  # fmt: skip
    expected = [
        proj / ".python-version", tmp_path / ".python-version", proj / "pyproject.toml",
        proj / ".venv" / "pyvenv.cfg", tmp_path / ".config" / "uv" / "uv.toml",
    ]  # fmt: skip
    for path in expected:
        assert path in watched, path
