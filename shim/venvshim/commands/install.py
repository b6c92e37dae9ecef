"""`venvshim install --shim-dir DIR --no-modify-path`: write the `uv` shim into DIR.

The minimal form used by tests and scripts; PATH and rc-file editing belong to install.sh.
The shim is stamped (`venvshim-shim` in its first lines, `.venvshim-shim-dir` beside it) so any
copy of venvshim recognises it and never takes it for the real uv.
"""

from __future__ import annotations

import os
import shlex
import sys
from importlib import resources
from pathlib import Path

from ..errors import VenvshimError
from ..fastpath import SEP
from ..realuv import SHIM_DIR_MARKER, is_shim

BOOT = "import sys; sys.path[:0] = {path!r}; from venvshim.entry import main; main()"


def import_roots() -> list[str]:
    """Directories holding venvshim and its dependencies, for a `python -I -S` shim."""
    import filelock
    import platformdirs
    import psutil
    import shellingham

    mods = [sys.modules["venvshim"], psutil, filelock, shellingham, platformdirs]
    if sys.version_info < (3, 11):
        import tomli

        mods.append(tomli)
    roots: list[str] = []
    for mod in mods:
        root = str(Path(mod.__file__ or "").resolve().parent.parent)
        if root not in roots:
            roots.append(root)
    return roots


def render_shim(*, python: str, roots: list[str]) -> str:
    template = resources.files("venvshim").joinpath("data/uv.sh").read_text(encoding="utf-8")
    boot = BOOT.format(path=roots)
    if sys.platform == "darwin":
        state_home = "$HOME/Library/Application Support/venvshim"
    else:
        state_home = "${XDG_STATE_HOME:-$HOME/.local/state}/venvshim"  # state.default_home
    return (
        template.replace("@PYTHON@", shlex.quote(python))
        .replace("@BOOT@", shlex.quote(boot))
        .replace("@STATE_HOME@", state_home)
        .replace("@SEP@", SEP)
    )


def install(*, shim_dir: Path, modify_path: bool, dry_run: bool = False) -> int:
    if modify_path:
        raise VenvshimError(
            "editing PATH and shell rc files is done by install.sh / install.ps1",
            hint="run `venvshim install --shim-dir DIR --no-modify-path` and put DIR first on PATH",
        )
    if sys.platform == "win32":
        raise VenvshimError(
            "the Windows shim (uv.exe) is installed by install.ps1",
            hint="run install.ps1 from the venvshim checkout",
        )
    target = shim_dir / "uv"
    if target.exists() and not is_shim(target):
        raise VenvshimError(
            f"`{target}` exists and is not a venvshim shim (the real uv?); not overwriting it",
            hint="choose a directory of its own for the shim, e.g. ~/.local/share/venvshim/bin",
        )
    text = render_shim(python=sys.executable, roots=import_roots())
    if dry_run:
        print(f"would write {target}")
        return 0
    shim_dir.mkdir(parents=True, exist_ok=True)
    (shim_dir / SHIM_DIR_MARKER).write_text("venvshim shim directory\n", encoding="utf-8")
    tmp = target.with_name(".uv.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, target)
    print(f"installed the uv shim at {target}")
    return 0
