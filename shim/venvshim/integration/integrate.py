"""Everything around the shim: hook files, rc blocks, the Windows user PATH, the scheduler, and
the manifest that lets `venvshim uninstall` undo exactly that.

`venvshim install --shim-dir DIR --modify-path` (what install.sh / install.ps1 run) calls
`install_integration`; `venvshim uninstall` calls `uninstall_integration`. The manifest lives in
the state root (`install.json`); without it uninstall still finds blocks by their markers.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import VenvshimError
from ..fs import write_atomic
from ..intercept.realuv import SHIM_DIR_MARKER, find_real_uv, is_shim
from ..state import MANIFEST, StateRoot
from ..ui import Printer
from . import rcfiles, scheduler, winpath, winshim

SHIM_NAMES = ("uv", winshim.EXE, winshim.CONFIG)  # what `venvshim install` writes besides the stamp

if sys.platform == "win32":

    def data_root(env: Mapping[str, str]) -> Path:
        base = env.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return Path(base) / "venvshim"

    def hook_python() -> str:
        """pythonw.exe: the scheduled task and the prompt hook start gc without a console."""
        pythonw = Path(sys.executable).with_name("pythonw.exe")
        return str(pythonw if pythonw.exists() else sys.executable)

else:

    def data_root(env: Mapping[str, str]) -> Path:
        base = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or "~", ".local", "share")
        return Path(os.path.expanduser(base)) / "venvshim"

    def hook_python() -> str:
        return sys.executable


def default_shim_dir(env: Mapping[str, str]) -> Path:
    return data_root(env) / "bin"


def hooks_dir(env: Mapping[str, str]) -> Path:
    return data_root(env) / "hooks"


def shipped_hooks() -> Path:
    """The hook files: inside the package when installed, beside it in a source checkout."""
    package = Path(__file__).resolve().parent.parent  # venvshim/
    for candidate in (package / "hooks", package.parent.parent / "hooks"):
        if (candidate / "venvshim.bash").is_file():
            return candidate
    raise VenvshimError(
        "venvshim's shell hook files are missing from this installation",
        hint="reinstall venvshim with install.sh (or `uv tool install --reinstall venvshim`)",
    )


@dataclass
class Manifest:
    shim_dir: str
    hooks_dir: str
    python: str
    rc: list[rcfiles.Edit] = field(default_factory=list)
    scheduler: str | None = None  # the backend kind that was installed
    scheduler_opt_out: bool = False
    user_path_entry: str | None = None  # Windows: what was added to HKCU\Environment Path
    user_path_created: bool = False  # ... and the value did not exist before

    def to_json(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["rc"] = [e.to_json() for e in self.rc]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Manifest:
        rc = data.get("rc")
        sched = data.get("scheduler")
        entry = data.get("user_path_entry")
        return cls(
            shim_dir=str(data["shim_dir"]),
            hooks_dir=str(data["hooks_dir"]),
            python=str(data["python"]),
            rc=[rcfiles.Edit.from_json(e) for e in rc if isinstance(e, dict)]
            if isinstance(rc, list)
            else [],
            scheduler=str(sched) if sched else None,
            scheduler_opt_out=bool(data.get("scheduler_opt_out")),
            user_path_entry=str(entry) if entry else None,
            user_path_created=bool(data.get("user_path_created")),
        )


def load_manifest(state: StateRoot) -> Manifest | None:
    try:
        data = json.loads((state.home / MANIFEST).read_text(encoding="utf-8"))
        return Manifest.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_manifest(state: StateRoot, manifest: Manifest) -> None:
    write_atomic(state.home / MANIFEST, json.dumps(manifest.to_json(), indent=1) + "\n")


def check_shim_dir(shim_dir: Path, env: Mapping[str, str]) -> None:
    """The shim needs a directory of its own: never uv's, which uv's installer rewrites."""
    home = Path(env.get("HOME") or env.get("USERPROFILE") or "~").expanduser()
    forbidden = {Path(env.get("XDG_BIN_HOME") or home / ".local" / "bin")}
    try:
        forbidden.add(find_real_uv(env=env, skip=shim_dir / "uv").parent)
    except VenvshimError:
        pass
    for directory in forbidden:
        if _same_dir(shim_dir, directory):
            raise VenvshimError(
                f"`{shim_dir}` is where uv itself (or uv's tools) lives; the shim needs a "
                "directory of its own",
                hint=f"use the default: --shim-dir {default_shim_dir(env)}",
            )


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def copy_hooks(target: Path, *, dry_run: bool) -> bool:
    """Byte-exact copies of the shipped hooks; True if anything changed."""
    source = shipped_hooks()
    changed = False
    for name in rcfiles.HOOK_FILES.values():
        data = (source / name).read_bytes()
        dest = target / name
        try:
            if dest.read_bytes() == data:
                continue
        except OSError:
            pass
        changed = True
        if not dry_run:
            target.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, data, mode=0o644)
    return changed


def _said(dry_run: bool, did: str, do: str, what: str) -> str:
    """What was done, in the past tense ("Hooked ~/.bashrc"); with --dry-run, what would be
    ("Would hook ~/.bashrc")."""
    text = f"would {do} {what}" if dry_run else f"{did} {what}"
    return text[0].upper() + text[1:]


def _tilde(path: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME", "")
    return "~" + path[len(home) :] if home and path.startswith(home + os.sep) else path


def install_integration(
    *,
    shim_dir: Path,
    state: StateRoot,
    env: Mapping[str, str],
    use_scheduler: bool,
    dry_run: bool,
    which: Callable[[str], str | None] = shutil.which,
    runner: scheduler.Runner = scheduler.run_command,
    platform: str = sys.platform,
) -> None:
    """Hooks, rc blocks (or the Windows user PATH), scheduler; prints what it did."""
    old = load_manifest(state)
    hooks = hooks_dir(env)
    python = hook_python()
    manifest = Manifest(
        shim_dir=str(shim_dir), hooks_dir=str(hooks), python=python, scheduler_opt_out=False
    )
    if copy_hooks(hooks, dry_run=dry_run):
        print(_said(dry_run, "wrote", "write", f"the shell hooks into {hooks}"))

    previous = {e.path: e for e in (old.rc if old else [])}
    if platform == "win32":
        _install_windows(manifest, old, env=env, dry_run=dry_run, previous=previous)
    else:
        for target in rcfiles.posix_targets(env, which=which):
            block = rcfiles.render_block(
                target.shell, shim_dir=str(shim_dir), hooks_dir=str(hooks), python=python
            )
            edit, action = rcfiles.apply(
                target, block, previous=previous.get(str(target.path)), dry_run=dry_run
            )
            manifest.rc.append(edit)
            if action != "unchanged":
                did, do = ("updated", "update") if action == "updated" else ("hooked", "hook")
                print(_said(dry_run, did, do, _tilde(edit.path, env)))

    backend = scheduler.backend_for(platform, env=env, runner=runner)
    if not use_scheduler:
        manifest.scheduler_opt_out = True
        if not dry_run:
            for line in backend.uninstall():
                print(line)
    else:
        available, why = backend.available()
        if not available:
            Printer().warning(
                f"periodic gc for editor users is not set up: {why}",
                "the shell hooks still collect tombstones; `venvshim gc` does it by hand",
            )
        elif dry_run:
            print(f"Would install the {why}")
        else:
            command = scheduler.gc_command(python, state.home, backend.kind)
            for line in backend.install(command):
                print(f"Installed {line}")
            manifest.scheduler = backend.kind
    if not dry_run:
        save_manifest(state, manifest)


def _install_windows(
    manifest: Manifest,
    old: Manifest | None,
    *,
    env: Mapping[str, str],
    dry_run: bool,
    previous: dict[str, rcfiles.Edit],
) -> None:
    user_path = winpath.read_user_path()
    plan = winpath.plan_install(
        user_path=user_path,
        machine_path=winpath.read_machine_path(),
        shim_dir=manifest.shim_dir,
        env=env,
        is_file=os.path.isfile,
    )
    manifest.user_path_entry = winpath.unexpanded(manifest.shim_dir, env)
    manifest.user_path_created = old.user_path_created if old else user_path is None
    if plan.new_user_path is not None:
        print(_said(dry_run, "put", "put", f"{manifest.shim_dir} first in the user PATH"))
        if not dry_run:
            winpath.write_user_path(plan.new_user_path)
    for message in plan.messages:
        Printer().warning(message)
    if plan.profile_hook:
        for profile in winpath.profile_paths(winpath.documents_dir()):
            target = rcfiles.Target("pwsh", Path(profile))
            block = rcfiles.render_block(
                "pwsh",
                shim_dir=manifest.shim_dir,
                hooks_dir=manifest.hooks_dir,
                python=manifest.python,
            )
            edit, action = rcfiles.apply(
                target, block, previous=previous.get(profile), dry_run=dry_run
            )
            manifest.rc.append(edit)
            if action != "unchanged":
                print(_said(dry_run, "hooked", "hook", profile))


def uninstall_integration(
    *,
    state: StateRoot,
    env: Mapping[str, str],
    shim_dir: Path | None,
    dry_run: bool,
    which: Callable[[str], str | None] = shutil.which,
    runner: scheduler.Runner = scheduler.run_command,
    platform: str = sys.platform,
) -> list[str]:
    """Undo install_integration and remove the shim. Returns what was (or would be) done."""
    manifest = load_manifest(state)
    done: list[str] = []
    edits = {e.path: e for e in (manifest.rc if manifest else [])}
    paths = list(edits)
    if platform != "win32":  # blocks written by hand or by an install whose manifest is gone
        paths += [str(t.path) for t in rcfiles.posix_targets(env, which=which)]
    for path in dict.fromkeys(paths):
        result = rcfiles.remove(Path(path), edits.get(path), dry_run=dry_run)
        if result == "removed":
            what = f"the venvshim block from {_tilde(path, env)}"
            done.append(_said(dry_run, "removed", "remove", what))
        elif result == "deleted":
            what = f"{_tilde(path, env)} (venvshim had created it)"
            done.append(_said(dry_run, "deleted", "delete", what))

    shim = Path(manifest.shim_dir) if manifest else shim_dir or default_shim_dir(env)
    if platform == "win32" and manifest and manifest.user_path_entry:
        new = winpath.plan_uninstall(
            user_path=winpath.read_user_path(), shim_dir=str(shim), env=env
        )
        if new is not None:
            done.append(_said(dry_run, "took", "take", f"{shim} out of the user PATH"))
            if not dry_run:
                winpath.write_user_path(new if new or not manifest.user_path_created else None)

    backend = scheduler.backend_for(platform, env=env, runner=runner)
    if dry_run:
        if any(p.exists() for p in backend.files()) or (manifest and manifest.scheduler):
            done.append(f"Would remove the {backend.kind} scheduler entry")
    else:
        done += backend.uninstall()

    hooks = Path(manifest.hooks_dir) if manifest else hooks_dir(env)
    for name in rcfiles.HOOK_FILES.values():
        if (hooks / name).exists() and not dry_run:
            (hooks / name).unlink()
    if hooks.exists():
        done.append(_said(dry_run, "deleted", "delete", str(hooks)))
        if not dry_run:
            _rmdir_quiet(hooks)

    removed_shim = False
    for name in SHIM_NAMES:
        target = shim / name
        if target.exists() and is_shim(target):
            removed_shim = True
            if not dry_run:
                target.unlink()
    if (shim / SHIM_DIR_MARKER).exists():
        removed_shim = True
        if not dry_run:
            (shim / SHIM_DIR_MARKER).unlink()
            for leftover in shim.glob(".uv.exe.old-*"):
                leftover.unlink(missing_ok=True)
            _rmdir_quiet(shim)
    if removed_shim:
        done.append(_said(dry_run, "deleted", "delete", f"the uv shim in {shim}"))
    if not dry_run:
        _rmdir_quiet(data_root(env))
        (state.home / MANIFEST).unlink(missing_ok=True)
    return done


def _rmdir_quiet(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.rmdir()
