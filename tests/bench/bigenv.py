"""The 20,000-file environment of rows 3 and 4: a fake package added to a synced `.venv`.

One template per sandbox; each environment gets hard links to it (`cp -al`, as uv installs from
its cache on Linux) or, with `--copies`, new inodes (`cp -a`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.bench.harness import BenchError, Sizes
from tests.bench.sandbox import Sandbox, rm_tree

FAKE_FILES = 20_000
FAKE_DIRS = 100  # FAKE_FILES spread over this many sub-packages, like a real large package
PACKAGE = "benchfake"


def rounds(sizes: Sizes) -> int:
    """Rounds of rows 3 and 4: each rebuilds 20k-file trees, seconds each with new inodes."""
    return sizes.pick(5, 21) if sizes.links else sizes.pick(3, 7)


def template(sb: Sandbox) -> Path:
    """The sandbox's fake package, made on first use (complete or not at all)."""
    path = sb.root / "fake-template"
    if not path.is_dir():
        part = sb.root / "fake-template.part"
        rm_tree(part)
        make_fake_package(part)
        part.rename(path)
    return path


def make_fake_package(dest: Path) -> None:
    """FAKE_FILES small files in FAKE_DIRS sub-packages: the bulk of a large environment."""
    per_dir = FAKE_FILES // FAKE_DIRS
    dest.mkdir(parents=True)
    for d in range(FAKE_DIRS):
        sub = dest / f"sub{d:03d}"
        sub.mkdir()
        for f in range(per_dir):
            (sub / f"m{f:04d}.py").write_text(f"# benchfake {d}/{f}\nVALUE = {f}\n")


def fill(sb: Sandbox, venv: Path, sizes: Sizes) -> None:
    """Add the fake package to `venv`'s site-packages."""
    copy_tree(template(sb), site_packages(venv) / PACKAGE, links=sizes.links)


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise BenchError(f"no site-packages in {venv}")
    return found[0]


def count_files(root: Path) -> int:
    total = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        total += len(filenames) + len(dirnames)
    return total


def copy_tree(src: Path, dest: Path, *, links: bool) -> None:
    """`cp -al` (hard links, as uv installs from its cache on Linux) or `cp -a` (new inodes)."""
    subprocess.run(["cp", "-al" if links else "-a", "--", str(src), str(dest)], check=True)
