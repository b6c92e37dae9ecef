"""The wording of what a running program keeps after a switch (venvshim.tombstones.keeps)."""

from __future__ import annotations

import pytest

from venvshim.tombstones.holders import Holder
from venvshim.tombstones.keeps import consequences, explain, process_lines, why

TOMB = "/p/.venv.venvshim-tomb-1"
EXT = f"{TOMB}/lib/python3.10/site-packages/_ext.cpython-310-x86_64-linux-gnu.so"


@pytest.mark.parametrize(
    ("kind", "path", "expected"),
    [
        ("exe", f"{TOMB}/bin/tool", f"its executable {TOMB}/bin/tool"),
        ("open", f"{TOMB}/notes.txt", f"an open file {TOMB}/notes.txt"),
        ("mapped", EXT, f"a loaded module {EXT}"),
        ("cwd", f"{TOMB}/data", f"its working directory {TOMB}/data"),
        ("cmdline", "/p/.venv/bin/python", "its command line names /p/.venv/bin/python"),
        ("VIRTUAL_ENV", "/p/.venv", "VIRTUAL_ENV=/p/.venv"),
        ("lock", f"{TOMB}/.lock", f"uv's lock {TOMB}/.lock"),
        ("something-new", "/x", "something-new /x"),  # a kind added later still reads
    ],
)
def test_why_each_kind(kind: str, path: str, expected: str) -> None:
    assert why(Holder(7, "python", kind, path)) == expected


def test_one_line_per_process_in_order_with_every_reason_once() -> None:
    holders = [
        Holder(42, "python", "mapped", EXT),
        Holder(7, "code", "cmdline", "/p/.venv/bin/python"),
        Holder(42, "python", "cwd", f"{TOMB}/data"),
        Holder(42, "python", "mapped", EXT),  # the same reason twice (two tombstones' scans)
        Holder(0, "uv", "lock", f"{TOMB}/.lock"),
    ]
    assert process_lines(holders) == [
        f"pid 42 (python) still uses the old environment: a loaded module {EXT}; "
        f"its working directory {TOMB}/data",
        "pid 7 (code) still uses the old environment: its command line names /p/.venv/bin/python",
        f"a uv command still uses the old environment: uv's lock {TOMB}/.lock",
    ]


def test_explain_one_process_posix_exact_text() -> None:
    assert explain([Holder(42, "python", "mapped", EXT)], original="/p/.venv", windows=False) == [
        f"pid 42 (python) still uses the old environment: a loaded module {EXT}",
        "It keeps what it has already loaded or opened: code and data in memory, loaded "
        "extension modules and executables, open files, and a working directory inside the old "
        "environment.",
        "It does not keep what it has not loaded yet: imports not done yet, files not opened yet "
        "and programs started from sys.executable resolve to /p/.venv, which is now the new "
        "environment.",
        "Such an import fails with ModuleNotFoundError if the Python version changed (the version "
        "is part of the path) and loads the new environment's file if it did not.",
        "Restart it to use the new environment.",
    ]


def test_explain_windows_names_the_unversioned_site_packages() -> None:
    lines = explain(
        [Holder(42, "python.exe", "exe", r"C:\p\.venv.venvshim-tomb-1\Scripts\python.exe")],
        original="C:\\p\\.venv\\",
        windows=True,
    )
    assert lines[1] == (
        "It keeps what it has already loaded or opened: code and data in memory, loaded "
        "extension modules and executables."
    )
    assert "resolve to C:\\p\\.venv\\, which is now the new environment." in lines[2]
    assert lines[3] == (
        r"C:\p\.venv\Lib\site-packages names no Python version: such an import can load the new "
        "environment's files, built for another Python."
    )
    assert lines[4] == "Restart it to use the new environment."


def test_several_processes_are_they_and_them() -> None:
    lines = explain(
        [Holder(1, "a", "cwd", TOMB), Holder(2, "b", "open", f"{TOMB}/x")],
        original="/p/.venv",
        windows=False,
    )
    assert len(lines) == 6
    assert lines[2].startswith("They keep what they have already loaded or opened: ")
    assert lines[3].startswith("They do not keep what they have not loaded yet: ")
    assert lines[5] == "Restart them to use the new environment."


def test_without_original_the_path_is_described() -> None:
    (_, not_kept, lazy, _) = consequences(1, windows=True)
    assert "resolve to the environment's path, which is now the new environment." in not_kept
    assert lazy.startswith(r".venv\Lib\site-packages names no Python version")


def test_nothing_to_say() -> None:
    assert explain([], original="/p/.venv", windows=False) == []
    assert consequences(0) == []
    # A held uv lock is no program to restart: its line, and nothing more.
    assert explain([Holder(0, "uv", "lock", f"{TOMB}/.lock")], windows=False) == [
        f"a uv command still uses the old environment: uv's lock {TOMB}/.lock"
    ]


def test_same_pid_counts_once() -> None:
    lines = explain(
        [Holder(42, "python", "mapped", EXT), Holder(42, "python", "cwd", TOMB)], windows=False
    )
    assert len(lines) == 5 and lines[-1] == "Restart it to use the new environment."
