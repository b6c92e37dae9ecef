"""Which options go to the dry-run that says which dists uv removes, spelled as uv takes them."""

from __future__ import annotations

from venvshim.intercept import decision, uvoptions
from venvshim.intercept.uvargs import parse


def test_forward_spells_every_value_and_drops_a_missing_one() -> None:
    inv = parse(["sync", "--extra", "a", "--extra=b", "-P", "x", "--no-dev", "--with-bogus", "-p"])
    args = uvoptions.forward(inv, uvoptions.SYNC_FORWARD, "sync")
    assert args == ["--extra=a", "--extra=b", "-P", "x", "--no-dev"]  # `-p` lacks its value


def test_run_is_asked_as_an_inexact_sync_with_syncs_options_only() -> None:
    inv = parse(["run", "--with", "rich", "--no-dev", "-p", "3.12", "python", "-c", "pass"])
    argv = decision.dry_run_argv(inv, cwd="/", env={})
    assert argv == ["sync", "--dry-run", "--no-dev", "--python=3.12", "--inexact"]
    exact = parse(["run", "--exact", "python"])
    assert "--inexact" not in decision.dry_run_argv(exact, cwd="/", env={})


def test_pip_is_asked_as_itself_but_not_quiet() -> None:
    """Quiet, uv prints no summary of what it would do: the answer would be unknown."""
    inv = parse(["-q", "pip", "install", "-qq", "-r", "req.txt", "--quiet", "x"])
    assert decision.dry_run_argv(inv, cwd="/", env={}) == [
        "pip", "install", "--dry-run", "-r", "req.txt", "x",
    ]  # fmt: skip
