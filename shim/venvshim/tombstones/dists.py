"""The distributions installed in an environment and the files each one owns, as uv will see them
when it uninstalls one (it walks the dist's RECORD: crates/uv-install-wheel/src/uninstall.rs).

Everything read here is data, never trusted: a RECORD line, a dist name from uv's output or a
directory name in site-packages only ever selects files that are regular files inside the
environment's own real directory. A line naming a path outside it (`../../../../etc/passwd`), a
link, or a path through a linked directory leading elsewhere is skipped.

Slow path only (a command that will remove or replace a dist): it reads RECORD files.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9.+!_-]+$")
MAX_RECORD_BYTES = 64 << 20


def normalize(name: str) -> str:
    """PEP 503 name normalisation (what uv prints and names tool directories by)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class Dist:
    """One `.dist-info` directory: `name` normalised, `version` as in the directory name."""

    __slots__ = ("info", "name", "version")

    def __init__(self, name: str, version: str, info: Path) -> None:
        self.name = name
        self.version = version
        self.info = info

    def __repr__(self) -> str:
        return f"Dist({self.name}=={self.version})"


def site_packages(env: Path) -> list[Path]:
    """The environment's site-packages directories (POSIX `lib/pythonX.Y/`, Windows `Lib/`)."""
    found: list[Path] = []
    for lib in ("lib", "Lib"):
        base = env / lib
        if (base / "site-packages").is_dir():
            found.append(base / "site-packages")
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        found.extend(
            base / n / "site-packages"
            for n in names
            if n.startswith(("python", "pypy")) and (base / n / "site-packages").is_dir()
        )
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.normcase(os.path.realpath(path)), path)
    return list(unique.values())


def installed(env: Path) -> list[Dist]:
    dists: list[Dist] = []
    for site in site_packages(env):
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for entry in names:
            if not entry.endswith(".dist-info"):
                continue
            name, _, version = entry[: -len(".dist-info")].rpartition("-")
            if valid_name(name) and _VERSION.match(version):
                dists.append(Dist(normalize(name), version, site / entry))
    return dists


def select(dists: Iterable[Dist], wanted: Iterable[tuple[str, str | None]]) -> list[Dist]:
    """The installed dists uv named (`name`, `version` or None). A name with no dist of that
    exact version selects every version of it: when in doubt, more files are watched."""
    dists = list(dists)
    chosen: dict[Path, Dist] = {}
    for raw_name, version in wanted:
        name = normalize(raw_name)
        same = [d for d in dists if d.name == name]
        exact = [d for d in same if version is not None and d.version == version]
        for dist in exact or same:
            chosen[dist.info] = dist
    return list(chosen.values())


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _record_paths(dist: Dist) -> list[str]:
    import csv

    try:
        with open(dist.info / "RECORD", encoding="utf-8", errors="replace", newline="") as fh:
            text = fh.read(MAX_RECORD_BYTES)
    except OSError:
        return []
    return [row[0] for row in csv.reader(text.splitlines()) if row and row[0]]


def _resolve(site: str, entry: str, env_norm: str) -> str | None:
    """The real path of RECORD line `entry` (relative to `site`) if it lies inside the env."""
    if "\0" in entry or os.path.isabs(entry) or entry.startswith(("/", "\\")):
        return None
    lexical = os.path.normpath(os.path.join(site, entry))
    parent = os.path.realpath(os.path.dirname(lexical))
    if not _under(os.path.normcase(parent), env_norm):
        return None
    return os.path.join(parent, os.path.basename(lexical))


def owned_files(dist: Dist, env_real: str) -> list[str]:
    """The regular files `dist`'s RECORD names that lie inside the environment whose real path is
    `env_real`, as real paths; anything else the RECORD names is ignored."""
    site = os.path.dirname(dist.info)
    env_norm = os.path.normcase(env_real)
    found: list[str] = []
    for entry in _record_paths(dist):
        real = _resolve(site, entry, env_norm)
        if real is None:
            continue
        try:
            if not stat.S_ISREG(os.lstat(real).st_mode):
                continue
        except OSError:
            continue
        found.append(real)
    return found


def files_of(env: Path, dists: Iterable[Dist]) -> dict[str, Dist]:
    """Every file the given dists own in `env` (real path -> its dist)."""
    env_real = os.path.realpath(env)
    return {path: dist for dist in dists for path in owned_files(dist, env_real)}


def still_listed(env: Path, paths: Iterable[str]) -> set[str]:
    """Which of `paths` (real paths) a dist installed in `env` now lists in its RECORD, whether
    or not the file is there: uv kept that dist, so the file belongs in place."""
    wanted = {os.path.normcase(p): p for p in paths}
    if not wanted:
        return set()
    env_norm = os.path.normcase(os.path.realpath(env))
    listed: set[str] = set()
    for dist in installed(env):
        site = os.path.dirname(dist.info)
        for entry in _record_paths(dist):
            real = _resolve(site, entry, env_norm)
            if real is not None and os.path.normcase(real) in wanted:
                listed.add(wanted[os.path.normcase(real)])
    return listed
