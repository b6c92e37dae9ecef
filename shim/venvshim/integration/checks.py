"""The checks `venvshim doctor` runs: does every `uv` go through the shim, does venvshim
understand that uv, will gc happen, does anything still use an old environment?

Each check is a small `Check`; commands/doctor.py renders them as text or JSON and exits 1 when
one is not ok. A warning is ok with something worth saying, always with a hint (no scheduler in
a container, a program to restart).
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import VenvshimError
from ..intercept.realuv import find_real_uv, is_shim, uv_on_path
from ..state import StateRoot
from ..tombstones.registry import TOMB_INFIX
from . import integrate, rcfiles, scheduler, startup


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str = ""
    warning: bool = False

    @property
    def status(self) -> str:
        return "error" if not self.ok else "warning" if self.warning else "ok"

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "status": self.status}


def check_real_uv(env: Mapping[str, str], shims: list[Path]) -> Check:
    """The real uv is found, and venvshim understands it: asked of uv itself in a throw-away
    project (intercept/selftest.py), not of a version number."""
    from ..intercept import selftest

    name = "real uv"
    try:
        real = find_real_uv(env=env, skip=shims[0] if shims else None)
    except VenvshimError as exc:
        return Check(name, False, exc.message, exc.hint or "")
    test = selftest.run(str(real), env)
    where = f"{test.label} at {real}"
    if test.error:
        return Check(
            name,
            True,
            f"{where}: could not test what it does with an environment ({test.error})",
            "make sure `uv venv` works here (uv needs a Python to make one), then run "
            "`venvshim doctor` again",
            warning=True,
        )
    if not test.understood:
        return Check(
            name,
            False,
            f"{where}: venvshim cannot tell when this uv replaces an environment (it answered "
            f"{test.keep!r} for an env to keep, {test.replace!r} for one to replace), so every "
            "intercepted command moves the environment aside to be safe",
            "update uv (`uv self update`), or report this uv release to venvshim",
        )
    how = "without uv's wording (`uv python find`)" if test.wording_free else "from uv's own words"
    return Check(name, True, f"{where}: keep and replace both understood, {how}")


def check_path(env: Mapping[str, str], found: list[Path], shim_dir: Path | None) -> Check:
    name = "uv in this shell"
    where = shim_dir or integrate.default_shim_dir(env)
    if not found:
        return Check(name, False, "no `uv` on PATH", f"put {where} first on PATH")
    first = found[0]
    if is_shim(first):
        return Check(name, True, f"`uv` is the shim ({first})")
    entries = env.get("PATH", "").split(os.pathsep)
    position = (
        f"{where} comes after {first.parent} on PATH"
        if str(where) in entries
        else f"{where} is not on PATH"
    )
    here = f'export PATH={shlex.quote(f"{where}:")}"$PATH"'
    if os.name == "nt":
        here = "$env:Path = '" + f"{where};".replace("'", "''") + "' + $env:Path"
    return Check(
        name,
        False,
        f"`uv` resolves to {first}, not the shim: {position}",
        f"open a new terminal: the hook puts the shim first as the shell starts (here: `{here}`); "
        "if it is still not first there, `venvshim doctor` names the startup-file line that wins",
    )


def check_login_shell(env: Mapping[str, str], cwd: Path, *, timeout: float = 10.0) -> Check:
    """The user's own shell run as editors run it to read PATH (`$SHELL -ilc`): is `uv` the shim
    there? If not, the startup-file line that wins."""
    name = "uv in your login shell"
    shell = startup.user_shell(env)
    if shell is None or startup.family(shell) is None:
        what = f"{shell} has no venvshim hook" if shell else "cannot tell which shell you use"
        hint = "set SHELL to your shell (bash, zsh, fish), or make sure the PATH your editor uses "
        return Check(name, True, f"not checked: {what}", hint + "names the shim first", True)
    run = f"`{os.path.basename(shell)} -ilc 'command -v uv'` (how editors read PATH)"
    found = startup.which_uv_for_editors(shell, env, cwd, timeout=timeout)
    if found is None:
        hint = "run it yourself: a startup file of yours waits for input or is slow"
        return Check(name, True, f"not checked: {run} did not answer in {timeout:g} s", hint, True)
    if found and is_shim(Path(found)):
        return Check(name, True, f"{run} finds the shim")
    finding = startup.find_winner(shell, env, uv_dir=os.path.dirname(found) or None)
    detail = f"{run} finds {found or 'no uv'}, not the shim"
    reinstall = "run install.sh again (it puts the shim, the hooks and the blocks back)"
    line, block = finding.winner, finding.block
    if block is None:
        read = ", ".join(map(str, finding.files)) or "no startup file"
        detail += f"; it reads {read}, none with a venvshim block"
        return Check(name, False, detail + (f"; {line} sets PATH" if line else ""), reinstall)
    if line is None:
        return Check(
            name, False, detail + "; no line after the venvshim block changes PATH", reinstall
        )
    detail += f": {line} changes PATH after the venvshim block"
    hint = f"move that line above the `{rcfiles.BEGIN}` block"
    if line.path != block.path:
        hint = f"move that line above the venvshim block in {block.path}, or the block below it"
    return Check(name, False, detail, hint + ", then open a new terminal")


def check_recursion(env: Mapping[str, str], found: list[Path]) -> Check:
    name = "one shim"
    dirs: list[Path] = []
    for uv in found:
        if is_shim(uv) and uv.parent not in dirs:
            dirs.append(uv.parent)
    if len(dirs) > 1:
        listed = ", ".join(map(str, dirs))
        return Check(
            name,
            False,
            f"{len(dirs)} venvshim shim directories on PATH ({listed}): shims would run shims",
            f"keep one: `venvshim uninstall --shim-dir {dirs[-1]}`, or take it off PATH",
        )
    explicit = env.get("VENVSHIM_REAL_UV")
    if explicit and is_shim(Path(explicit)):
        return Check(
            name,
            False,
            f"VENVSHIM_REAL_UV names a shim ({explicit}): it would call itself",
            "point VENVSHIM_REAL_UV at the real uv binary, or unset it",
        )
    return Check(name, True, f"{len(dirs)} shim directory on PATH" if dirs else "no shim on PATH")


def check_hooks(manifest: integrate.Manifest | None, *, platform: str) -> Check:
    name = "shell hooks"
    hint = "run install.sh again (or `venvshim install --shim-dir DIR --modify-path`)"
    if manifest is None:
        return Check(
            name,
            True,
            "no install record: installed with --no-modify-path, so PATH is yours to keep",
            "keep the shim directory before uv's in PATH yourself, or let venvshim do it: " + hint,
            warning=True,
        )
    problems = []
    for edit in manifest.rc:
        try:
            data = Path(edit.path).read_bytes()
        except OSError:
            problems.append(f"{edit.path} is gone")
            continue
        if rcfiles.find_block(data) is None:
            problems.append(f"no venvshim block in {edit.path}")
    for shell in sorted({e.shell for e in manifest.rc}):
        hook = Path(manifest.hooks_dir) / rcfiles.HOOK_FILES[shell]
        if not hook.is_file():
            problems.append(f"hook file {hook} is missing")
    if platform == "win32" and manifest.user_path_entry:
        from . import winpath

        user_path = winpath.read_user_path()
        first = winpath.split(user_path)[:1]
        if not first or winpath.norm(first[0], os.environ) != winpath.norm(
            manifest.shim_dir, os.environ
        ):
            problems.append(f"{manifest.shim_dir} is not first in the user PATH (HKCU)")
    if problems:
        return Check(name, False, "; ".join(problems), hint)
    files = ", ".join(e.path for e in manifest.rc) or "the user PATH"
    return Check(name, True, f"installed in {files}")


def check_scheduler(
    manifest: integrate.Manifest | None,
    *,
    env: Mapping[str, str],
    platform: str,
    runner: scheduler.Runner,
) -> Check:
    name = "periodic gc"
    if manifest is not None and manifest.scheduler_opt_out:
        return Check(name, True, "disabled with --no-scheduler; the shell hooks run gc")
    status = scheduler.backend_for(platform, env=env, runner=runner).status()
    if not status.available:
        return Check(
            name,
            True,
            f"unavailable: {status.detail}; the shell hooks run gc, editors alone do not",
            "run `venvshim gc` now and then (or from cron) if you work only in an editor; "
            "where a user manager exists, run install.sh again to set up the timer",
            warning=True,
        )
    if status.installed:
        return Check(name, True, f"{status.detail} installed")
    return Check(
        name,
        manifest is None,
        f"the {status.detail} is not installed",
        "run install.sh again (or `venvshim install --shim-dir DIR --modify-path`)",
        warning=manifest is None,
    )


def check_state_root(state: StateRoot) -> Check:
    name = "state root"
    try:
        state.ensure()
    except VenvshimError as exc:
        return Check(name, False, exc.message, exc.hint or "")
    try:
        fd, tmp = tempfile.mkstemp(dir=state.home, prefix=".doctor-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Check(
            name,
            False,
            f"{state.home} is not writable: {exc.strerror or exc}",
            f"fix its permissions (`chmod u+w {state.home}`) or set VENVSHIM_HOME to a "
            "writable directory",
        )
    return Check(name, True, f"{state.home} is writable")


def project_dir(cwd: Path) -> Path | None:
    """The current project's directory: the nearest pyproject.toml upward, else None."""
    for directory in (cwd, *cwd.parents):
        if (directory / "pyproject.toml").is_file():
            return directory
    return None


def check_rename(cwd: Path) -> Check | None:
    """Live self-test inside a project (None outside one): make a directory where its env is
    and rename it as a tombstone would be; both are removed again, nothing is left."""
    name = "tombstone rename"
    root = project_dir(cwd)
    if root is None:
        return None
    venv = root / ".venv"
    where = venv.resolve().parent if venv.exists() else root
    try:
        probe = Path(tempfile.mkdtemp(prefix=".venvshim-doctor-", dir=where))
    except OSError as exc:
        return Check(
            name,
            False,
            f"cannot create a directory in {where}: {exc.strerror or exc}",
            f"make {where} writable: uv cannot build an environment there either",
        )
    moved = probe.with_name(probe.name + TOMB_INFIX + "selftest")
    try:
        os.rename(probe, moved)
    except OSError as exc:
        probe.rmdir()
        return Check(
            name,
            False,
            f"renaming a directory in {where} failed: {exc.strerror or exc}",
            "the shim could not tombstone the environment here; make the directory writable "
            "(on Windows: close programs whose working directory is inside it)",
        )
    moved.rmdir()
    return Check(name, True, f"an environment in {root} can be moved aside")


def check_still_running(state: StateRoot) -> Check:
    """Programs still running from an environment a switch replaced: they keep what they
    loaded, but anything else they import comes from the new one (tombstones/keeps.py)."""
    from ..tombstones import holders, keeps
    from ..tombstones.registry import Registry

    name = "programs on old environments"
    if state.problem() is not None:
        return Check(name, True, "not checked: the state root is not usable (see above)")
    records, _problems = Registry(state).load()
    procs = holders.scan() if records else []
    lines: list[str] = []
    for record in records:
        held = holders.holders_of(
            procs, record.path, original=record.original, since=record.created
        )
        if held:
            lines += keeps.explain(held, original=record.original)
    if not lines:
        return Check(name, True, "none: every tombstone is free, or there is none")
    return Check(
        name,
        True,
        "\n  ".join(lines),
        "restart the programs named above; `venvshim gc` then deletes what they kept",
        warning=True,
    )


def doctor(
    *,
    state: StateRoot,
    env: Mapping[str, str],
    cwd: Path,
    runner: scheduler.Runner = scheduler.run_command,
    platform: str = sys.platform,
) -> list[Check]:
    manifest = integrate.load_manifest(state) if state.problem() is None else None
    shim_dir = Path(manifest.shim_dir) if manifest else None
    found = uv_on_path(env)
    shims = [p for p in found if is_shim(p)]
    checks = [
        check_real_uv(env, shims),
        check_path(env, found, shim_dir),
        *([check_login_shell(env, cwd)] if platform != "win32" else []),
        check_recursion(env, found),
        check_hooks(manifest, platform=platform),
        check_scheduler(manifest, env=env, platform=platform, runner=runner),
        check_state_root(state),
        check_rename(cwd),
        check_still_running(state),
    ]
    return [c for c in checks if c is not None]
