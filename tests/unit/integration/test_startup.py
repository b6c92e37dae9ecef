"""The startup-file scan behind doctor's login-shell check: which files a login shell reads and
which line after the venvshim block wins PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvshim.integration import rcfiles, startup

BLOCK = rcfiles.render_block("bash", shim_dir="/s/bin", hooks_dir="/s/hooks", python="/py")
PREPEND = 'export PATH="$HOME/.local/bin:$PATH"\n'
UV_ENV = '. "$HOME/.local/bin/env"\n'


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / 'it\'s a "höme"'
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "env").write_text(
        'case ":${PATH}:" in\n    *:"$HOME/.local/bin":*)\n        ;;\n    *)\n'
        '        export PATH="$HOME/.local/bin:$PATH"\n        ;;\nesac\n'
    )
    return home


def env_of(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "PATH": "/usr/bin:/bin"}


def uv_dir(home: Path) -> str:
    return str(home / ".local" / "bin")


def where(finding: startup.Finding) -> tuple[str, int] | None:
    line = finding.winner
    return None if line is None else (line.path.name, line.number)


@pytest.mark.parametrize(
    ("shell", "kind"),
    [("/bin/bash", "bash"), ("zsh", "zsh"), ("/usr/bin/fish", "fish"), ("/bin/dash", "sh"),
     ("sh", "sh"), ("/bin/tcsh", None), ("nu", None)],
)  # fmt: skip
def test_family(shell: str, kind: str | None) -> None:
    assert startup.family(shell) == kind


def test_bash_follows_profile_into_bashrc_and_names_the_later_line(home: Path) -> None:
    # Debian: ~/.profile sources ~/.bashrc first; both have a block; a prepend after each.
    (home / ".profile").write_text(
        'if [ -n "$BASH_VERSION" ]; then\n    . "$HOME/.bashrc"\nfi\n' + BLOCK + PREPEND
    )
    (home / ".bashrc").write_text("HISTSIZE=1\n" + BLOCK + PREPEND + "alias ll='ls -l'\n")
    finding = startup.find_winner("/bin/bash", env_of(home), uv_dir=uv_dir(home))
    assert finding.files == [home / ".profile", home / ".bashrc"]
    assert finding.block is not None and finding.block.path == home / ".profile"
    assert where(finding) == (".profile", 4 + BLOCK.count("\n"))


def test_bash_reads_only_the_first_login_file(home: Path) -> None:
    (home / ".bash_profile").write_text(PREPEND)  # made after the install: it has no block
    (home / ".profile").write_text(BLOCK)
    finding = startup.find_winner("bash", env_of(home), uv_dir=uv_dir(home))
    assert finding.files == [home / ".bash_profile"]
    assert finding.block is None and where(finding) == (".bash_profile", 1)


def test_lines_before_the_block_do_not_count(home: Path) -> None:
    (home / ".profile").write_text(PREPEND + UV_ENV + BLOCK + "umask 022\n")
    finding = startup.find_winner("dash", env_of(home), uv_dir=uv_dir(home))
    assert finding.block is not None and finding.winner is None


def test_uvs_env_script_counts_and_beats_a_later_unrelated_path_line(home: Path) -> None:
    (home / ".profile").write_text(BLOCK + UV_ENV + 'PATH="$PATH:/opt/tools/bin"\n')
    finding = startup.find_winner("sh", env_of(home), uv_dir=uv_dir(home))
    assert where(finding) == (".profile", BLOCK.count("\n") + 1)
    # Without knowing uv's directory: the last line that changes PATH at all.
    assert where(startup.find_winner("sh", env_of(home))) == (".profile", BLOCK.count("\n") + 2)


def test_commented_and_unrelated_lines_do_not_count(home: Path) -> None:
    (home / ".profile").write_text(
        BLOCK + "# export PATH=$HOME/.local/bin:$PATH\nMANPATH=/x\nexport PATH\n"
    )
    assert startup.find_winner("sh", env_of(home)).winner is None


def test_zsh_reads_its_four_files_in_order(home: Path) -> None:
    zblock = rcfiles.render_block("zsh", shim_dir="/s/bin", hooks_dir="/s/hooks", python="/p")
    (home / ".zshenv").write_text(PREPEND)
    (home / ".zprofile").write_text(zblock)
    (home / ".zshrc").write_text(zblock + "path=(~/.local/bin $path)\n")
    (home / ".zlogin").write_text('eval "$(/opt/homebrew/bin/brew shellenv)"\n')
    env = env_of(home)
    finding = startup.find_winner("/usr/bin/zsh", env, uv_dir=uv_dir(home))
    assert [p.name for p in finding.files] == [".zshenv", ".zprofile", ".zshrc", ".zlogin"]
    assert where(finding) == (".zshrc", zblock.count("\n") + 1)
    assert where(startup.find_winner("zsh", env)) == (".zlogin", 1)
    # ZDOTDIR moves them all.
    zdot = home / "zdot"
    zdot.mkdir()
    (zdot / ".zshrc").write_text(zblock + PREPEND)
    finding = startup.find_winner("zsh", {**env, "ZDOTDIR": str(zdot)}, uv_dir=uv_dir(home))
    assert finding.files == [zdot / ".zshrc"]
    assert where(finding) == (".zshrc", zblock.count("\n") + 1)


@pytest.mark.parametrize(
    "line",
    ["fish_add_path -m ~/.local/bin", "set -gx PATH ~/.local/bin $PATH",
     "set -U fish_user_paths ~/.local/bin $fish_user_paths"],
)  # fmt: skip
def test_fish_conf_d_then_config_fish(home: Path, line: str) -> None:
    fish = home / ".config" / "fish"
    (fish / "conf.d").mkdir(parents=True)
    fblock = rcfiles.render_block("fish", shim_dir="/s/bin", hooks_dir="/s/hooks", python="/p")
    (fish / "conf.d" / "venvshim.fish").write_text(fblock)
    (fish / "conf.d" / "uv.env.fish").write_text('source "$HOME/.local/bin/env.fish"\n')
    (fish / "config.fish").write_text(f"if status is-interactive\n    {line}\nend\n")
    finding = startup.find_winner("fish", env_of(home), uv_dir=uv_dir(home))
    assert [p.name for p in finding.files] == ["uv.env.fish", "venvshim.fish", "config.fish"]
    assert where(finding) == ("config.fish", 2)


def test_user_shell_is_shellinghams_else_shell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shellingham

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "zsh").write_text("#!/bin/sh\n")
    (bin_dir / "zsh").chmod(0o755)
    env = {"PATH": str(bin_dir), "SHELL": "/bin/fish"}
    monkeypatch.setattr(shellingham, "detect_shell", lambda: ("zsh", "zsh"))
    assert startup.user_shell(env) == str(bin_dir / "zsh")  # a name from /proc, found on PATH

    def fails() -> tuple[str, str]:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fails)
    assert startup.user_shell(env) == "/bin/fish"
    assert startup.user_shell({"PATH": str(bin_dir)}) is None
