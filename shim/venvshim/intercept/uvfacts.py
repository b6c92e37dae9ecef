"""What differs between uv releases: one table keyed by uv's version, read once per uv binary.

Each fact has the value it takes from a release on, and the value assumed when the version cannot
be read (a build that prints something else, a future format): always the one that protects, so
that not knowing never turns into "keep". `uv --version` is asked once per binary and remembered
under the binary's `stat` in the state root's cache (`uv-versions.json`), so the shim's slow path
pays for it once per uv install and the sh fast path never does.
"""

from __future__ import annotations

import json
import os
import re

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

Version = tuple[int, int, int]

# fact: (value when the version is unknown, [(first release, value), ...] oldest first)
TABLE: dict[str, tuple[object, list[tuple[Version, object]]]] = {
    # `uv sync --dry-run` exists (before: "unexpected argument '--dry-run'", exit 2).
    "dry_run": (True, [((0, 0, 0), False), ((0, 5, 30), True)]),
    # Which wording `sync --dry-run` uses for the project environment (askuv.WORDINGS).
    "wording": ("any", [((0, 5, 30), "existing"), ((0, 7, 21), "project")]),
    # `uv venv` on an existing environment without `--clear` deletes and recreates it (0.8-0.9
    # rewrite it in place with a warning, 0.10+ refuse).
    "venv_wipes_without_clear": (True, [((0, 0, 0), True), ((0, 8, 0), False)]),
    # uv deletes `pyvenv.cfg` with the rest, in directory order, and stops at the first error,
    # so a failed deletion leaves a directory uv refuses (PR astral-sh/uv#14808, 0.8.1).
    "cfg_removed_first": (True, [((0, 0, 0), True), ((0, 8, 1), False)]),
    # `run --no-sync` keeps an incompatible env (ProjectEnvironmentPolicy::Preserve, 0.7.3);
    # before, it replaced it like `sync`.
    "no_sync_preserves": (False, [((0, 0, 0), False), ((0, 7, 3), True)]),
    # The environment variables naming uv's working directory, in the order uv reads them.
    "working_dir_env": (
        ("UV_WORKING_DIR", "UV_WORKING_DIRECTORY"),
        [
            ((0, 0, 0), ()),
            ((0, 9, 1), ("UV_WORKING_DIRECTORY",)),
            ((0, 9, 14), ("UV_WORKING_DIR", "UV_WORKING_DIRECTORY")),
        ],
    ),
    # UV_PROJECT is read (0.6.11).
    "project_env": (True, [((0, 0, 0), False), ((0, 6, 11), True)]),
    # `uv run path/x.py` finds the project from the script's directory, not the cwd (0.12.0).
    "script_dir_project": (True, [((0, 0, 0), False), ((0, 12, 0), True)]),
    # A regular file `.venv` names the environment's directory (0.13.9).
    "redirect_files": (True, [((0, 0, 0), False), ((0, 13, 9), True)]),
    # A symlinked `.venv`: the target is emptied and recreated (0.8.1); before, uv removed only
    # the link and made a new directory, leaving the old env untouched.
    "symlink_target_replaced": (True, [((0, 0, 0), False), ((0, 8, 1), True)]),
    # `uv venv --clear` deletes a directory that is not a virtual environment (0.8.0 until 0.12,
    # which asks for --force).
    "clear_deletes_foreign": (True, [((0, 0, 0), False), ((0, 8, 0), True), ((0, 12, 0), False)]),
    # `uv run --active` of a script with inline metadata empties VIRTUAL_ENV even when it is not
    # a virtual environment (fixed in 0.13.6).
    "active_script_clears_foreign": (True, [((0, 0, 0), True), ((0, 13, 6), False)]),
}

_VERSION = re.compile(rb"^uv (\d+)\.(\d+)\.(\d+)")
CACHE_FILE = "uv-versions.json"


class Facts:
    """The facts of one uv release (`version` None: unknown: every fact that decides whether to
    protect at its protective value, every fact about where uv works at the newest release's)."""

    __slots__ = ("version", *TABLE)
    active_script_clears_foreign: bool
    cfg_removed_first: bool
    clear_deletes_foreign: bool
    dry_run: bool
    no_sync_preserves: bool
    project_env: bool
    redirect_files: bool
    script_dir_project: bool
    symlink_target_replaced: bool
    venv_wipes_without_clear: bool
    wording: str
    working_dir_env: tuple[str, ...]

    def __init__(self, version: Version | None) -> None:
        self.version = version
        for name, (unknown, rows) in TABLE.items():
            value = unknown
            if version is not None:
                for since, row_value in rows:
                    if version >= since:
                        value = row_value
            setattr(self, name, value)

    @property
    def label(self) -> str:
        return "uv " + ".".join(map(str, self.version)) if self.version else "this uv"

    def __repr__(self) -> str:
        return f"Facts({self.version})"


def parse_version(output: bytes) -> Version | None:
    match = _VERSION.match(output.strip())
    if match is None:
        return None
    major, minor, patch = (int(x) for x in match.groups())
    return major, minor, patch


def _ask_version(real_uv: str) -> Version | None:
    import subprocess

    try:
        out = subprocess.run(
            [real_uv, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version(out)


def _fingerprint(real_uv: str) -> list[int] | None:
    try:
        st = os.stat(real_uv)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def facts_for(real_uv: str, cache_dir: Path | None) -> Facts:
    """The facts of the uv binary at `real_uv`, from the cache when the binary is unchanged."""
    fingerprint = _fingerprint(real_uv)
    cache = cache_dir / CACHE_FILE if cache_dir is not None else None
    known: dict[str, object] = {}
    if cache is not None and fingerprint is not None:
        try:
            loaded = json.loads(cache.read_text(encoding="utf-8"))
            known = loaded if isinstance(loaded, dict) else {}
            entry = known.get(real_uv)
            if isinstance(entry, dict) and entry.get("stat") == fingerprint:
                version = entry.get("version")
                if isinstance(version, list) and len(version) == 3:
                    return Facts((int(version[0]), int(version[1]), int(version[2])))
        except (OSError, ValueError, TypeError):
            known = {}
    version = _ask_version(real_uv)
    if cache is not None and fingerprint is not None and version is not None:
        from ..state import write_atomic

        known[real_uv] = {"stat": fingerprint, "version": list(version)}
        try:
            write_atomic(cache, json.dumps(known))
        except OSError:
            pass  # a cache: asking again next time is fine
    return Facts(version)
