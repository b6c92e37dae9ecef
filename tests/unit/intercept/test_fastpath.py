"""The fast-path file is data to sh, whatever bytes went into it (hypothesis, real dash and bash).

Directory names, argv, environment values and watched paths are generated from arbitrary
characters (lone surrogates stand for non-UTF-8 bytes), mixed with the shapes an attacker would
choose. The file written for them is sourced by the real shells the way uv.sh sources it: no
command in it ever runs (a canary would appear), and it answers "keep" for exactly the argv,
environment and directory it was made for, and for nothing else.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from venvshim.intercept import fastpath

SHELLS = ("dash", "bash")
CANARY = "venvshim-canary"
OLD = time.time() - 3600

# Characters that mean something to sh, and a way to smuggle a command through each.
NASTY = [
    s.replace("{c}", CANARY)
    for s in ("$(touch {c})", "`touch {c}`", "';touch {c};'", '";touch {c};"', "\ntouch {c}\n",
              "\\", "'", '"', "$HOME", "${IFS}", "*", "?", "[!-]", "|", ";", "&", "\t", " ",
              "\x7f", "\udcff", "é")
]  # fmt: skip


def _text(max_size: int = 12) -> st.SearchStrategy[str]:
    plain = st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\x1f/"),
        max_size=max_size,
    )
    surrogate = st.sampled_from(["\udc80", "\udcff", "\udcfe"])
    pieces = st.one_of(plain, surrogate, st.sampled_from(NASTY))
    return st.lists(pieces, max_size=4).map("".join)


def _source(sh: str, file: Path, cwd: Path, real: str, argv: list[str], env: dict[str, str]) -> str:
    script = (
        "vs_fast=0; vs_real=$1; shift; vs_ifs=$IFS; IFS=$(printf '\\037'); vs_argv=\"$*\"; "
        'IFS=$vs_ifs; . "$VS_FILE"; echo "$vs_fast"'
    )
    proc = subprocess.run(
        [sh, "-c", script, "sh", os.fsencode(real), *map(os.fsencode, argv)],
        cwd=cwd,
        env={**{k: os.fsencode(v) for k, v in env.items()}, "VS_FILE": os.fsencode(str(file))},  # type: ignore[dict-item]
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().strip()


@pytest.mark.parametrize("sh", SHELLS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=_text().filter(lambda s: s not in ("", ".", "..")),
    argv=st.lists(_text(), min_size=1, max_size=4),
    value=_text(),
    watched=st.lists(_text().filter(lambda s: s not in ("", ".", "..")), max_size=3),
)
def test_nothing_from_outside_ever_runs(
    tmp_path: Path, sh: str, name: str, argv: list[str], value: str, watched: list[str]
) -> None:
    base = tmp_path / f"ex{time.monotonic_ns()}"
    cwd = Path(os.fsdecode(os.fsencode(str(base)) + b"/" + os.fsencode(name)))
    cwd.mkdir(parents=True)
    home = base / "state"
    real = cwd / "uv"
    real.write_text("#!/bin/sh\n")
    present = [cwd / f"p-{w}" for w in watched]
    absent = [cwd / f"a-{w}" for w in watched]
    for path in (real, *present):
        path.touch()
        os.utime(path, (OLD, OLD))
    env = {"PATH": "/usr/bin:/bin", "UV_PYTHON": value}
    argv = ["sync", *argv]
    pwd = str(cwd)
    assert fastpath.record_keep(
        home, pwd=pwd, cwd=cwd, argv=argv, env=env, real_uv=str(real), watched=present + absent
    )
    file = fastpath.fast_dir(home, pwd) / fastpath.FILE
    hit = _source(sh, file, cwd, str(real), argv, env)
    assert hit == "1"
    assert _source(sh, file, cwd, str(real), [*argv, "x"], env) == "0"
    assert _source(sh, file, cwd, str(real), argv, {**env, "UV_PYTHON": value + "x"}) == "0"
    assert _source(sh, file, base, str(real), argv, env) == "0"  # another directory
    if present:
        os.utime(present[0], (OLD + 1, OLD + 1))
        assert _source(sh, file, cwd, str(real), argv, env) == "0"
    assert not any(p.name == CANARY for p in tmp_path.rglob("*"))
    assert not Path(CANARY).exists()


def test_what_cannot_be_said_to_sh_is_not_cached(tmp_path: Path) -> None:
    """An argv holding the separator byte: Python decides every time."""
    real = tmp_path / "uv"
    real.touch()
    os.utime(real, (OLD, OLD))
    assert not fastpath.record_keep(
        tmp_path / "state", pwd=str(tmp_path), cwd=tmp_path, argv=["sync", "a\x1fb"], env={},
        real_uv=str(real), watched=[],
    )  # fmt: skip
    assert not fastpath.record_keep(
        tmp_path / "state", pwd="relative", cwd=tmp_path, argv=["sync"], env={},
        real_uv=str(real), watched=[],
    )  # fmt: skip


@pytest.mark.parametrize("sh", SHELLS)
def test_the_canary_would_see_an_injection(tmp_path: Path, sh: str) -> None:
    """The detector works: a directory name written raw into a comment line (the old bug)
    runs its second line."""
    name = f"proj\ntouch {CANARY}\n"
    file = tmp_path / "fast.sh"
    file.write_text(f"# verdicts for {name}\ncase $vs_argv in esac\n")
    _source(sh, file, tmp_path, "/uv", ["sync"], {})
    assert (tmp_path / CANARY).exists()
