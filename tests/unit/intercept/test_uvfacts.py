"""uvfacts: one table keyed by uv's release, read once per binary; askuv reads each release's
words only in that release's wording."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from venvshim.intercept import askuv, uvfacts
from venvshim.intercept.uvfacts import Facts


def test_facts_by_release_and_protective_when_unknown() -> None:
    old, mid, new, unknown = Facts((0, 5, 29)), Facts((0, 7, 12)), Facts((0, 13, 9)), Facts(None)
    assert (old.dry_run, mid.dry_run, new.dry_run) == (False, True, True)
    assert (mid.wording, new.wording, unknown.wording) == ("existing", "project", "any")
    assert old.venv_wipes_without_clear and not new.venv_wipes_without_clear
    assert unknown.venv_wipes_without_clear and unknown.cfg_removed_first  # protect
    assert not Facts((0, 7, 2)).no_sync_preserves and Facts((0, 7, 3)).no_sync_preserves
    assert Facts((0, 9, 13)).working_dir_env == ("UV_WORKING_DIRECTORY",)
    assert Facts((0, 9, 0)).working_dir_env == ()
    assert Facts((0, 11, 33)).clear_deletes_foreign and not new.clear_deletes_foreign
    assert uvfacts.parse_version(b"uv 0.13.9 (x86_64-unknown-linux-gnu)\n") == (0, 13, 9)
    assert uvfacts.parse_version(b"uv 0.7.12 (dc3fd4647 2025-06-06)") == (0, 7, 12)
    assert uvfacts.parse_version(b"something else") is None


def test_version_asked_once_per_binary(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    uv = tmp_path / "uv"
    uv.write_text(f'#!/bin/sh\necho x >> "{calls}"\necho "uv 0.8.1"\n')
    uv.chmod(uv.stat().st_mode | stat.S_IXUSR)
    cache = tmp_path / "cache"
    assert uvfacts.facts_for(str(uv), cache).version == (0, 8, 1)
    assert uvfacts.facts_for(str(uv), cache).version == (0, 8, 1)
    assert calls.read_text() == "x\n"  # the second answer came from the cache
    uv.write_text(uv.read_text().replace("0.8.1", "0.9.30"))
    os.utime(uv, ns=(1, 1))  # another binary at the same path
    assert uvfacts.facts_for(str(uv), cache).version == (0, 9, 30)


def test_each_release_read_in_its_own_words() -> None:
    modern = ["Using CPython 3.11\n", "Would replace project environment at: .venv\n"]
    legacy = ["Would replace existing virtual environment at: .venv\n"]
    assert askuv.read_answer(modern, Facts((0, 13, 9))) == ("replace", ".venv")
    assert askuv.read_answer(legacy, Facts((0, 7, 12))) == ("replace", ".venv")
    assert askuv.read_answer(legacy, Facts((0, 13, 9))) is None  # not this release's words
    assert askuv.read_answer(modern, Facts(None)) == ("replace", ".venv")
    keep = ["\x1b[2mWould use project environment at: \x1b[36m.venv\x1b[39m\x1b[0m\n"]
    assert askuv.read_answer(keep, Facts((0, 13, 9))) == ("use", ".venv")
    broken = ["error: Project virtual environment directory `/p/.venv` cannot be used because x\n"]
    assert askuv.read_answer(broken, Facts((0, 13, 9))) == ("broken", "/p/.venv")
    assert askuv.read_answer(["The venv will be rebuilt\n"], Facts((0, 99, 0))) is None
