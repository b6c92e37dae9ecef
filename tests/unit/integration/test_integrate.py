"""integrate.py with a fake scheduler runner and a sandbox HOME: what installing the hooks does
to every rc file, and that uninstalling gives every one of them back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.integration.test_scheduler import FakeRunner
from venvshim.errors import VenvshimError
from venvshim.integration import integrate
from venvshim.state import StateRoot


def _env(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "PATH": "/usr/bin:/bin"}


def _snapshot(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def test_install_then_uninstall_restores_every_byte(tmp_path: Path) -> None:
    home = tmp_path / "hö me"
    home.mkdir()
    (home / ".bashrc").write_bytes(b"# mine\r\nalias ll='ls -l'")  # CRLF, no final newline
    (home / ".profile").write_bytes(b"export X=1\n")
    state = StateRoot(tmp_path / "state").ensure()
    env = _env(home)
    before = _snapshot(home)
    kw = {"which": lambda name: f"/usr/bin/{name}", "runner": FakeRunner(), "platform": "linux"}
    shim_dir = tmp_path / "shim dir"
    integrate.install_integration(shim_dir=shim_dir, state=state, env=env, use_scheduler=False,
                                  dry_run=False, **kw)  # type: ignore[arg-type]  # fmt: skip
    after = _snapshot(home)
    assert b"# >>> venvshim >>>" in after[".bashrc"] and b"# >>> venvshim >>>" in after[".zshrc"]
    assert str(shim_dir).encode() in after[".profile"]
    assert integrate.load_manifest(state) is not None
    again = _snapshot(home)
    integrate.install_integration(shim_dir=shim_dir, state=state, env=env, use_scheduler=False,
                                  dry_run=False, **kw)  # type: ignore[arg-type]  # fmt: skip
    assert _snapshot(home) == again  # idempotent
    integrate.uninstall_integration(state=state, env=env, shim_dir=None, dry_run=False, **kw)  # type: ignore[arg-type]
    assert {k: v for k, v in _snapshot(home).items() if not k.startswith("data")} == before


def test_the_shim_never_goes_into_uv_s_own_directory(tmp_path: Path) -> None:
    env = _env(tmp_path)
    with pytest.raises(VenvshimError, match="directory of its own") as info:
        integrate.check_shim_dir(tmp_path / ".local" / "bin", env)
    assert info.value.hint and str(integrate.default_shim_dir(env)) in info.value.hint
    integrate.check_shim_dir(integrate.default_shim_dir(env), env)


def test_hook_copies_are_byte_exact_and_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "hooks"
    assert integrate.copy_hooks(target, dry_run=True) and not target.exists()
    assert integrate.copy_hooks(target, dry_run=False)
    shipped = integrate.shipped_hooks()
    for copy in target.iterdir():
        assert copy.read_bytes() == (shipped / copy.name).read_bytes()
    assert not integrate.copy_hooks(target, dry_run=False)


def test_manifest_round_trip_and_garbage(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state").ensure()
    manifest = integrate.Manifest(shim_dir="/s", hooks_dir="/h", python="/p", scheduler="systemd")
    integrate.save_manifest(state, manifest)
    assert integrate.load_manifest(state) == manifest
    (state.home / "install.json").write_text("{not json")
    assert integrate.load_manifest(state) is None
