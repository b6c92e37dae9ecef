"""The sh front end and the shell hooks against the tables that own what they copy."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from venvshim import state
from venvshim.intercept import decision, frontend, uvargs
from venvshim.intercept.fastpath import SEP

REPO = Path(__file__).resolve().parents[3]


def _case_words(text: str, action: str) -> set[str]:
    """The words of the `case` arm in uv.sh whose body starts with `action`."""
    match = re.search(r"^\s+([^\n()]*\|[^\n()]*)\) " + re.escape(action), text, re.M)
    assert match, action
    return set(match.group(1).split("|"))


def test_rendered_lists_are_the_owners() -> None:
    text = frontend.render_sh(python="/py/bin/python3", roots=["/site"])
    assert not re.search(r"@[A-Z_]+@", text)  # every placeholder filled
    assert _case_words(text, "vs_skip=1") == uvargs.GLOBAL_VALUE
    decided = _case_words(text, "vs_py=1; break")
    passed = _case_words(text, "break ;;")
    nested = _case_words(text, "vs_cmd=$vs_a")
    assert decided == decision.INTERCEPTED | {"v", "virtualenv"}
    assert nested == set(uvargs.NESTED_SUBCOMMANDS) == set(decision.NESTED_INTERCEPTED)
    assert decided | passed | nested == uvargs.SUBCOMMANDS
    assert not decided & passed and not (decided | passed) & nested
    assert set(uvargs.VALUE) >= decision.INTERCEPTED  # parsed past the subcommand name
    assert f"IFS='{SEP}'" in text
    assert state.SH_DEFAULT_HOME["linux"] in text


def test_rendered_nested_lists_are_the_owners() -> None:
    """`tool` and `pip`: Python for the subcommands that may delete files (and unknown ones)."""
    text = frontend.render_sh(python="/py/bin/python3", roots=["/site"])
    for command, subcommands in uvargs.NESTED_SUBCOMMANDS.items():
        arm = text[text.index(f"          {command})\n") :].split("break ;;", 1)[0]
        decided = _case_words(arm, "vs_py=1 ;;")
        assert decided == decision.NESTED_INTERCEPTED[command]
        assert _case_words(arm, ";;") == subcommands - decided
        assert "*) vs_py=1 ;;" in arm
        assert set(uvargs.VALUE) >= {f"{command} {sub}" for sub in decided}


def test_rendered_sh_is_valid_for_dash_and_bash(tmp_path: Path) -> None:
    shim = tmp_path / "uv"
    shim.write_text(frontend.render_sh(python="/py/bin/python3", roots=["/it's"]))
    for sh in ("dash", "bash"):
        proc = subprocess.run([sh, "-n", str(shim)], capture_output=True, text=True)
        assert proc.returncode == 0, (sh, proc.stderr)


def test_hooks_name_the_state_root_as_state_py_does() -> None:
    hooks = REPO / "hooks"
    for name in ("venvshim.bash", "venvshim.zsh"):
        text = (hooks / name).read_text()
        assert state.SH_DEFAULT_HOME["linux"] in text, name
        assert state.SH_DEFAULT_HOME["darwin"] in text, name
        assert f"/{state.AUTOGC_STAMP}" in text, name
    assert f"/{state.AUTOGC_NOW}" in (hooks / "venvshim.bash").read_text()
    fish = (hooks / "venvshim.fish").read_text()
    assert ".local/state/venvshim" in fish and "Library/Application Support/venvshim" in fish
    assert f"/{state.AUTOGC_STAMP}" in fish
    ps1 = (hooks / "venvshim.ps1").read_text(encoding="utf-8-sig")
    assert "LOCALAPPDATA" in ps1 and f"'{state.AUTOGC_STAMP}'" in ps1
