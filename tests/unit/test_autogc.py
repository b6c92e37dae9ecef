"""Automatic gc: at most one run per interval, shared through the stamp's mtime (the due time)."""

from __future__ import annotations

import os
from pathlib import Path

from venvshim import autogc
from venvshim.state import StateRoot


def test_interval_from_env() -> None:
    assert autogc.interval({}) == 3600
    assert autogc.interval({"VENVSHIM_GC_INTERVAL": "5"}) == 5
    assert autogc.interval({"VENVSHIM_GC_INTERVAL": "0"}) == 3600
    assert autogc.interval({"VENVSHIM_GC_INTERVAL": "soon"}) == 3600


def test_claim_once_per_interval(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    assert autogc.claim(state, every=60, now=1000.0)
    assert autogc.due_at(state) == 1060.0  # the stamp's mtime is the due time
    assert not autogc.claim(state, every=60, now=1001.0)
    assert not autogc.claim(state, every=60, now=1059.0)
    assert autogc.claim(state, every=60, now=1060.0)
    assert autogc.due_at(state) == 1120.0


def test_a_clock_that_went_back_does_not_stop_gc(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    assert autogc.claim(state, every=60, now=10_000.0)
    assert autogc.claim(state, every=60, now=100.0)  # due 10_060 is more than 60 s ahead


def test_run_logs_once(tmp_path: Path) -> None:
    state = StateRoot(tmp_path / "state")
    env = {"VENVSHIM_GC_INTERVAL": "3600"}
    assert autogc.run(state=state, env=env, trigger="hook") == 0
    assert autogc.run(state=state, env=env, trigger="hook") == 0
    runs = autogc.runs(state)
    assert len(runs) == 1 and "from=hook nothing" in runs[0]


def test_main_uses_home_argument(tmp_path: Path, monkeypatch: object) -> None:
    home = tmp_path / "elsewhere"
    assert autogc.main(["--from", "systemd", "--home", str(home)]) == 0
    assert (home / autogc.STAMP).exists()
    assert "from=systemd" in autogc.runs(StateRoot(home))[0]
    assert os.path.getmtime(home / autogc.STAMP) > 0
