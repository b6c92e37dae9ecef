"""A hermetic environment for uv and the shim, for the tests and the benchmark alike.

Nothing of the developer's own: its own HOME, XDG dirs, VENVSHIM_HOME, uv cache and TMPDIR, no
Python downloads, no network, and `PATH=<toolbin>:/usr/bin:/bin` (tools.make_toolbin).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def base_env(toolbin: Path, home: Path, uv_cache: Path) -> dict[str, str]:
    """A minimal, hermetic environment for running uv (and the shim) in tests."""
    env = {
        "PATH": f"{toolbin}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "UV_CACHE_DIR": str(uv_cache),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_OFFLINE": "1",
        "UV_NO_PROGRESS": "1",
        "VENVSHIM_HOME": str(home / "venvshim-state"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home / "tmp"),
    }
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def install_shim(shim_dir: Path, *, env: Mapping[str, str] | None = None) -> Path:
    """`venvshim install --shim-dir DIR --no-modify-path` with this interpreter; the shim's path.

    The shim runs this interpreter, importing venvshim from where this one finds it.
    """
    argv = [sys.executable, "-m", "venvshim", "install", "--shim-dir", str(shim_dir)]
    proc = subprocess.run(
        [*argv, "--no-modify-path"],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shim = shim_dir / "uv"
    if proc.returncode != 0 or not shim.is_file():
        raise RuntimeError(
            f"`venvshim install --shim-dir {shim_dir}` exited {proc.returncode} "
            f"(shim written: {shim.is_file()})\n{proc.stdout}{proc.stderr}"
        )
    return shim


def make_project(root: Path, *, requires_python: str = ">=3.9", name: str = "proj") -> Path:
    """A dependency-free uv project (so tests never need an index)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = "{requires_python}"\n'
        "dependencies = []\n\n[tool.uv]\npackage = false\n"
    )
    return root


def venv_version(venv: Path) -> str | None:
    """`version_info` from pyvenv.cfg, major.minor only, or None."""
    try:
        text = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "version_info":
            return ".".join(value.strip().split(".")[:2])
    return None
