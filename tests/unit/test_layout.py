"""The size limits the layout keeps (README, How it works): a module that grows past them is
doing two things, and the second belongs in a module of its own."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_SOURCE_LINES = 350
MAX_TEST_LINES = 600


def _too_long(root: Path, limit: int) -> dict[str, int]:
    sizes = {p: len(p.read_bytes().splitlines()) for p in root.rglob("*.py")}
    return {str(p.relative_to(REPO)): n for p, n in sizes.items() if n > limit}


def test_no_source_module_over_350_lines() -> None:
    assert list((REPO / "shim").rglob("*.py")), "no sources found"
    assert _too_long(REPO / "shim", MAX_SOURCE_LINES) == {}


def test_no_test_file_over_600_lines() -> None:
    assert _too_long(REPO / "tests", MAX_TEST_LINES) == {}
