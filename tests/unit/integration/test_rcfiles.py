"""rc-file blocks: written once, removed so that every file has its exact bytes again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from venvshim.errors import VenvshimError
from venvshim.integration import rcfiles
from venvshim.integration.rcfiles import Edit, Target

WEIRD = '/h/it\'s a "höme" $dir `x` \\ y'


def block(shell: str = "bash") -> str:
    return rcfiles.render_block(shell, shim_dir=WEIRD + "/bin", hooks_dir=WEIRD, python="/py")


@pytest.mark.parametrize(
    "original",
    [
        None,  # created by the install
        b"",
        b"export A=1",  # no final newline
        b"export A=1\n",
        b"line one\r\nline two\r\n",  # CRLF
        b"\xff\xfe not utf-8 \x80\n",
    ],
)
def test_apply_then_remove_restores_the_exact_bytes(tmp_path: Path, original: bytes | None) -> None:
    path = tmp_path / "deep" / "er" / "rc"
    if original is not None:
        path.parent.mkdir(parents=True)
        path.write_bytes(original)
    edit, action = rcfiles.apply(Target("bash", path), block(), previous=None, dry_run=False)
    assert action == "added"
    data = path.read_bytes()
    assert rcfiles.find_block(data) is not None
    assert data.startswith(original or b"")
    # Twice: nothing changes.
    again, action = rcfiles.apply(Target("bash", path), block(), previous=edit, dry_run=False)
    assert action == "unchanged" and again == edit and path.read_bytes() == data
    assert rcfiles.remove(path, edit, dry_run=False) in ("removed", "deleted")
    if original is None:
        assert not path.exists() and not (tmp_path / "deep").exists()
    else:
        assert path.read_bytes() == original


def test_crlf_file_gets_a_crlf_block(tmp_path: Path) -> None:
    path = tmp_path / "profile.ps1"
    path.write_bytes(b"Set-Alias x y\r\n")
    rcfiles.apply(Target("pwsh", path), block("pwsh"), previous=None, dry_run=False)
    assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")


def test_user_lines_after_the_block_survive_removal(tmp_path: Path) -> None:
    path = tmp_path / ".bashrc"
    path.write_bytes(b"A=1")
    edit, _ = rcfiles.apply(Target("bash", path), block(), previous=None, dry_run=False)
    path.write_bytes(path.read_bytes() + b'. "$HOME/.local/bin/env"\n')
    rcfiles.remove(path, edit, dry_run=False)
    assert path.read_bytes() == b'A=1\n. "$HOME/.local/bin/env"\n'


def test_a_changed_block_is_updated_in_place(tmp_path: Path) -> None:
    path = tmp_path / ".zshrc"
    path.write_bytes(b"before\n")
    edit, _ = rcfiles.apply(Target("zsh", path), block("zsh"), previous=None, dry_run=False)
    path.write_bytes(path.read_bytes() + b"after\n")
    other = rcfiles.render_block("zsh", shim_dir="/other", hooks_dir="/h", python="/p")
    again, action = rcfiles.apply(Target("zsh", path), other, previous=edit, dry_run=False)
    assert action == "updated" and again is edit
    text = path.read_text()
    assert text.startswith("before\n# >>> venvshim >>>") and text.endswith("<<<\nafter\n")
    assert "'/other'" in text and text.count("# >>> venvshim >>>") == 1


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".profile"
    _, action = rcfiles.apply(Target("sh", path), block("sh"), previous=None, dry_run=True)
    assert action == "added" and not path.exists()


def test_unterminated_block_is_an_error_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / ".bashrc"
    path.write_text("# >>> venvshim >>>\nX=1\n")
    with pytest.raises(VenvshimError) as info:
        rcfiles.remove(path, None, dry_run=False)
    assert info.value.hint


def test_writes_go_through_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_bytes(b"A=1\n")
    link = tmp_path / ".bashrc"
    link.symlink_to(real)
    edit, _ = rcfiles.apply(Target("bash", link), block(), previous=None, dry_run=False)
    assert link.is_symlink() and b"venvshim" in real.read_bytes()
    rcfiles.remove(link, edit, dry_run=False)
    assert link.is_symlink() and real.read_bytes() == b"A=1\n"


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_sh_quoting_survives_any_path(tmp_path: Path, shell: str) -> None:
    script = block(shell)  # the hook file does not exist there: the block only sets variables
    out = subprocess.run(
        ["sh", "-c", script + 'printf "%s\\n" "$VENVSHIM_SHIM_DIR" "$VENVSHIM_HOOKS"'],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.splitlines() == [WEIRD + "/bin", WEIRD]


def test_fish_and_powershell_quoting() -> None:
    assert rcfiles.quote_fish("a'b\\c") == "'a\\'b\\\\c'"
    assert rcfiles.quote_ps("it's") == "'it''s'"


def test_targets_cover_every_configured_shell(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bash_profile").write_text("")
    env = {"HOME": str(home), "ZDOTDIR": str(tmp_path / "zdot")}
    found = rcfiles.posix_targets(env, which=lambda name: f"/bin/{name}")
    assert [(t.shell, t.path) for t in found] == [
        ("sh", home / ".profile"),
        ("bash", home / ".bashrc"),
        ("bash", home / ".bash_profile"),
        ("zsh", tmp_path / "zdot" / ".zshrc"),
        ("zsh", tmp_path / "zdot" / ".zprofile"),
        ("fish", home / ".config" / "fish" / "conf.d" / "venvshim.fish"),
    ]
    # Nothing installed, nothing configured: only ~/.profile.
    assert [t.shell for t in rcfiles.posix_targets(env, which=lambda name: None)] == ["sh"]


def test_edit_round_trips_through_json() -> None:
    edit = Edit("/x", "zsh", created=True, added_newline=False, created_dirs=["/a"])
    assert Edit.from_json(edit.to_json()) == edit
