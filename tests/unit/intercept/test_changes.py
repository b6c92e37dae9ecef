"""Reading which dists a dry-run says uv would remove: strictly, or not at all (None)."""

from __future__ import annotations

import pytest

from venvshim.intercept.askuv import pip_env, read_changes

SYNC_UPGRADE = """Would use project environment at: .venv
Resolved 2 packages in 3ms
Would update lockfile at: uv.lock
Would download 1 package
Would uninstall 2 packages
Would install 1 package
 - nativetool==1.0
 + nativetool==2.0
 - toy==1.0
"""


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_removed_and_replaced_dists() -> None:
    changes = read_changes(_lines(SYNC_UPGRADE), 0)
    assert changes is not None and changes.removed == [("nativetool", "1.0"), ("toy", "1.0")]
    reinstall = (
        "Would uninstall 1 package\nWould install 1 package\n ~ pkg==0.1.0 (from file:///p)\n"
    )
    changes = read_changes(_lines(reinstall), 0)
    assert changes is not None and changes.removed == [("pkg", "0.1.0")]
    url = "Would uninstall 1 package\n - pkg @ file:///tmp/pkg\n"
    changes = read_changes(_lines(url), 0)
    assert changes is not None and changes.removed == [("pkg", None)]


@pytest.mark.parametrize(
    "text",
    ["Checked 1 package in 2ms\nWould make no changes\n", "Would install 1 package\n + x==1\n"],
)
def test_nothing_removed(text: str) -> None:
    changes = read_changes(_lines(text), 0)
    assert changes is not None and changes.removed == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (SYNC_UPGRADE, 1),  # the dry-run failed
        (SYNC_UPGRADE.replace("2 packages\nWould install", "3 packages\nWould install"), 0),
        ("Resolved 1 package in 2ms\n", 0),  # no summary in any known wording
        ("\x1b[2mWould uninstall 1 package\x1b[0m\n", 0),  # says one, names none
    ],
)
def test_unknown_is_none(text: str, code: int) -> None:
    assert read_changes(_lines(text), code) is None


def test_colour_is_ignored() -> None:
    text = "\x1b[2mWould uninstall 1 package\x1b[0m\n\x1b[31m - \x1b[0mx==1\n"
    changes = read_changes(_lines(text), 0)
    assert changes is not None and changes.removed == [("x", "1")]


def test_pip_env_line() -> None:
    assert pip_env(["Using Python 3.11.7 environment at: play/proj/.venv\n"]) == "play/proj/.venv"
    assert pip_env(["Checked 1 package in 2ms\n"]) is None
