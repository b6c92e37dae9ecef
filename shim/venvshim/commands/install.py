"""`venvshim install [--shim-dir DIR] --no-modify-path`: write the `uv` shim into DIR (default:
venvshim's own directory, `~/.local/share/venvshim/bin`).

The minimal form used by tests and scripts; with `--modify-path` (what install.sh / install.ps1
run) it also installs the shell hooks or the Windows user PATH and the scheduler (integrate.py).
On Windows the shim is a real uv.exe, the native front end, with its config (winshim.py);
`--platform windows` writes that directory on any OS (what tests check on Linux and Wine run).
The shim is stamped (`venvshim-shim` in its first lines, `.venvshim-shim-dir` beside it) so any
copy of venvshim recognises it and never takes it for the real uv.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import VenvshimError
from ..fs import write_atomic
from ..integration.integrate import default_shim_dir
from ..intercept.frontend import BOOT, render_sh
from ..intercept.realuv import SHIM_DIR_MARKER, is_shim


def import_roots() -> list[str]:
    """Directories holding venvshim and its dependencies, for a `python -I -S` shim."""
    import psutil
    import shellingham

    mods = [sys.modules["venvshim"], psutil, shellingham]
    if sys.version_info < (3, 11):
        import tomli

        mods.append(tomli)
    roots: list[str] = []
    for mod in mods:
        root = str(Path(mod.__file__ or "").resolve().parent.parent)
        if root not in roots:
            roots.append(root)
    return roots


SUMMARY = "Write the `uv` shim (install.sh and install.ps1 run this)"

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from ..cli import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shim-dir", type=Path, help="directory for the `uv` shim (default: venvshim's own)"
    )
    parser.add_argument(
        "--no-modify-path", action="store_true", help="do not touch PATH or rc files"
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would be written")
    parser.add_argument(
        "--modify-path", action="store_true",
        help="also hook every shell (Windows: the user PATH) and set up periodic gc; "
        "what install.sh and install.ps1 run",
    )  # fmt: skip
    parser.add_argument(
        "--no-scheduler", action="store_true",
        help="with --modify-path: no systemd timer / launchd agent / scheduled task",
    )  # fmt: skip
    parser.add_argument(
        "--platform", choices=("posix", "windows"),
        help="write the shim of this platform (default: this system's); with --no-modify-path",
    )  # fmt: skip


def run(args: argparse.Namespace, ctx: Context) -> int:
    if args.modify_path and args.no_modify_path:
        raise VenvshimError(
            "--modify-path and --no-modify-path contradict each other", hint="pick one"
        )
    return install(
        shim_dir=args.shim_dir or default_shim_dir(ctx.env),
        modify_path=not args.no_modify_path,
        dry_run=args.dry_run,
        hooks=args.modify_path,
        scheduler=not args.no_scheduler,
        platform=args.platform,
    )


def install(
    *,
    shim_dir: Path,
    modify_path: bool,
    dry_run: bool = False,
    hooks: bool = False,
    scheduler: bool = True,
    platform: str | None = None,
) -> int:
    """`hooks` (--modify-path): also shell hooks / the user PATH and the scheduler (integrate).
    `platform`: "windows" or "posix", the shim to write (default: this OS's)."""
    host = "windows" if sys.platform == "win32" else "posix"
    platform = platform or host
    if platform != host and modify_path:
        raise VenvshimError(
            f"a {platform} shim can be written here, but not hooked into this {host} system",
            hint=f"add --no-modify-path: `venvshim install --shim-dir {shim_dir} "
            f"--no-modify-path --platform {platform}`",
        )
    if modify_path and not hooks:
        raise VenvshimError(
            "editing PATH and shell rc files is done by install.sh / install.ps1",
            hint="run install.sh, or `venvshim install --shim-dir DIR --modify-path` to hook your "
            "shells, or `--no-modify-path` and put DIR first on PATH yourself",
        )
    if hooks:
        from ..integration import integrate
        from ..state import StateRoot

        state = StateRoot.from_env(os.environ)  # the install record goes there
        if dry_run:
            state.check()
        else:
            state.ensure()
        integrate.check_shim_dir(shim_dir, os.environ)
    if platform == "windows":
        _install_windows(shim_dir, dry_run=dry_run)
    else:
        _install_posix(shim_dir, dry_run=dry_run)
    if hooks:
        from ..integration import integrate
        from ..state import StateRoot

        integrate.install_integration(
            shim_dir=shim_dir,
            state=StateRoot.from_env(os.environ),
            env=os.environ,
            use_scheduler=scheduler,
            dry_run=dry_run,
        )
        if not dry_run:
            print("Next: open a new terminal (or `exec $SHELL -l`), then run `venvshim doctor`")
    return 0


def _install_windows(shim_dir: Path, *, dry_run: bool) -> None:
    from ..integration import winshim

    target = shim_dir / winshim.EXE
    if target.exists() and not is_shim(target):
        raise VenvshimError(
            f"`{target}` exists and is not a venvshim shim (the real uv?); not overwriting it",
            hint="choose a directory of its own for the shim, e.g. %LOCALAPPDATA%\\venvshim\\bin",
        )
    # How uv.exe starts the Python half: uv.sh's `@PYTHON@ -I -S -c @BOOT@`.
    args = ["-I", "-S", "-c", BOOT.format(path=import_roots())]  # uv.sh's too
    if dry_run:
        print(f"Would write {target} and {shim_dir / winshim.CONFIG}")
        return
    shim_dir.mkdir(parents=True, exist_ok=True)
    (shim_dir / SHIM_DIR_MARKER).write_text("venvshim shim directory\n", encoding="utf-8")
    exe = winshim.install_files(shim_dir, python=sys.executable, args=args)
    print(f"Installed the uv shim at {exe}")


def _install_posix(shim_dir: Path, *, dry_run: bool) -> None:
    target = shim_dir / "uv"
    if target.exists() and not is_shim(target):
        raise VenvshimError(
            f"`{target}` exists and is not a venvshim shim (the real uv?); not overwriting it",
            hint="choose a directory of its own for the shim, e.g. ~/.local/share/venvshim/bin",
        )
    text = render_sh(python=sys.executable, roots=import_roots())
    if dry_run:
        print(f"Would write {target}")
        return
    shim_dir.mkdir(parents=True, exist_ok=True)
    (shim_dir / SHIM_DIR_MARKER).write_text("venvshim shim directory\n", encoding="utf-8")
    write_atomic(target, text, mode=0o755)
    print(f"Installed the uv shim at {target}")
