"""Where the real uv and the CPython interpreters are, for the tests and the benchmark alike,
and a tool directory of them to put first on PATH.

Never pyenv's shims (they confuse uv's interpreter discovery: uv-internals.md, "Testing uv on
these machines"), never a venvshim shim taken for the real uv.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path


def find_real_uv() -> Path | None:
    explicit = os.environ.get("VENVSHIM_TEST_UV")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(Path(sys.executable).parent / "uv")
    found = shutil.which("uv")
    if found:
        candidates.append(Path(found))
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            with cand.open("rb") as fh:
                if b"venvshim-shim" in fh.read(512):
                    continue
            return cand.resolve()
    return None


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def find_pythons(wanted: Iterable[str]) -> dict[str, Path]:
    """`pythonX.Y` for each wanted minor version: pyenv's versions first, then PATH."""
    wanted = list(wanted)
    root = pyenv_root() / "versions"
    found: dict[str, Path] = {}
    if root.is_dir():
        for version_dir in sorted(root.iterdir()):
            minor = ".".join(version_dir.name.split(".")[:2])
            exe = version_dir / "bin" / f"python{minor}"
            if minor in wanted and exe.is_file() and minor not in found:
                found[minor] = exe
    for minor in wanted:
        if minor not in found:
            exe_name = shutil.which(f"python{minor}")
            if exe_name and "/shims/" not in exe_name:
                found[minor] = Path(exe_name)
    return found


def make_toolbin(directory: Path, uv: Path, pythons: Mapping[str, Path]) -> Path:
    """Fill `directory` (new or empty) with a `uv` link and a `pythonX.Y` link for each python.

    Old links, like a real install: verdicts involving a file changed in the last 2 s are never
    cached (verdicts.RACY_SECONDS), which would make cache tests depend on timing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    targets = {f"python{minor}": exe for minor, exe in pythons.items()}
    targets["uv"] = uv
    an_hour_ago = time.time() - 3600
    for name, target in targets.items():
        (directory / name).symlink_to(target)
        os.utime(directory / name, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    return directory
