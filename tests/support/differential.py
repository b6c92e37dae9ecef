"""Scenarios for the decision differential test (tests/e2e/test_decision_differential.py):
the generated space, and the helpers that build and mutate one scenario's world."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import make_project, run

SEED = int(os.environ.get("VENVSHIM_DIFF_SEED", "20251123"))
COUNT = int(os.environ.get("VENVSHIM_DIFF_COUNT", "300"))
VERSIONS = ("3.10", "3.11", "3.12", "3.13")
SYSTEM_PYTHON = Path("/usr/bin/python3.11")  # a second install of 3.11 on Debian 12 hosts
SENTINEL = Path("bin") / ".differential-sentinel"
USER_FILES = ("notes.txt", "data/results.csv")
BUILT_AGE = 40.0  # seconds: the mtime given to the state the warm-up sees
MUTATED_AGE = 20.0  # another old time for what the mutation changed
FRESH = 5.0  # files younger than this after the mutation are the ones it changed

# ------------------------------------------------------------------ the scenario space

COMMANDS = {  # name: weight
    "sync": 22,
    "run": 20,
    "version-bump": 8,
    "add-frozen": 6,
    "run-no-sync": 9,
    "run-UV_NO_SYNC": 3,
    "sync-dry-run": 6,
    "venv-clear": 14,
    "venv": 6,
    "run-no-command": 6,  # `uv run -p X` alone: syncs (and replaces) before asking for a command
    "run-script-flag": 6,  # `uv run --script F`, F without inline metadata: the project's env
}
RUN_COMMANDS = ("run", "run-no-sync", "run-UV_NO_SYNC")
STATES = {
    "healthy": 40,
    "base-gone": 12,  # bin/python dangles: its interpreter was uninstalled
    "remnant": 12,  # pyvenv.cfg without python: what a failed uv deletion leaves
    "skeleton": 4,  # uv's layout (bin, lib, CACHEDIR.TAG) without pyvenv.cfg or python
    "empty": 5,
    "missing": 7,
    "foreign": 8,  # a directory of user files: must never be "replace"
    "cfg-mismatch": 7,  # pyvenv.cfg version_info edited to another version
    "interp-swapped": 5,  # bin/python repointed to another minor version
}
EXISTING_STATES = ("healthy", "base-gone", "remnant", "skeleton", "cfg-mismatch", "interp-swapped")
ENVLOCS = {".venv": 50, "env-rel": 12, "env-abs": 12, "symlink-abs": 14, "symlink-rel": 12}
REQUESTS = {
    "none": 14,
    "p-space": 6,  # -p X
    "p-joined": 5,  # -pX
    "python-eq": 5,  # --python=X
    "python-space": 3,  # --python X
    "UV_PYTHON": 9,
    "pv-root": 12,  # .python-version at the (workspace) root
    "pv-parent": 5,  # .python-version in the root's parent directory
    "pvs-root": 6,  # .python-versions
    "pv-global": 6,  # $XDG_CONFIG_HOME/uv/.python-version
    "rp": 14,  # requires-python of the (workspace) root
}
WORKSPACE_REQUESTS = {"ws-member-rp": 10, "ws-new-member": 8, "pv-member": 5}
ARGV_REQUESTS = ("p-space", "p-joined", "python-eq", "python-space")
DISK_REQUESTS = (
    "pv-root", "pv-parent", "pvs-root", "pv-global", "rp", *WORKSPACE_REQUESTS,
)  # fmt: skip
RP_SPECS = (">=3.11", "<3.12", "==3.12.*", ">=3.10", ">=3.13", "<3.11", ">=3.10,<3.13", "<3.10")


@dataclass(frozen=True)
class Scenario:
    idx: int
    base: str  # the minor version the environment is created with
    creator: str  # "venv" | "sync"
    farm: bool  # created from a private link to the interpreter (deleted for base-gone)
    workspace: bool  # root + members packages/a, packages/b; the command runs for member a
    envloc: str
    where: str  # "cwd" | "root" (workspace) | "directory" | "project" | "script"
    global_after: bool  # --directory/--project after the subcommand name
    request: str
    value: str  # a version token, "A|B" for .python-versions, a specifier for *rp
    state: str
    command: str
    backdate: bool  # backdate what the mutation changed (else it stays too fresh to cache)

    @property
    def id(self) -> str:
        return f"s{self.idx:03d}-{self.command}-{self.request}-{self.state}"

    def describe(self) -> str:
        return (
            f"{self.id} (seed {SEED}): env {self.base} made by `uv {self.creator}`"
            f"{' from a private interpreter link' if self.farm else ''}; "
            f"{'workspace' if self.workspace else 'project'}, env at {self.envloc}, "
            f"command from {self.where}{' (global option after subcommand)' * self.global_after}; "
            f"request {self.request}={self.value!r}; state {self.state}; command {self.command}; "
            f"mutation {'backdated' if self.backdate else 'left fresh'}"
        )


def _weighted(rng: random.Random, table: Mapping[str, int]) -> str:
    names = list(table)
    return rng.choices(names, weights=[table[n] for n in names])[0]


def _pick_version(rng: random.Random, base: str, *, paths: bool) -> str:
    r = rng.random()
    if r < 0.48:
        return rng.choice([v for v in VERSIONS if v != base])
    if r < 0.70:
        return base
    if r < 0.78:
        return "3.9"  # not installed here: uv fails before touching anything
    minor = base if rng.random() < 0.5 else rng.choice(VERSIONS)
    forms = [f"full:{minor}", f"cpython@{minor}"]
    if paths:
        forms += [f"path:toolbin:{minor}", f"path:pyenv:{minor}", "path:system"]
    return rng.choice(forms)


def generate(seed: int, count: int) -> list[Scenario]:
    rng = random.Random(seed)
    out = []
    for idx in range(count):
        base = rng.choice(VERSIONS)
        command = _weighted(rng, COMMANDS)
        state = _weighted(rng, STATES)
        workspace = rng.random() < 0.25
        requests = {**REQUESTS, **WORKSPACE_REQUESTS} if workspace else REQUESTS
        request = _weighted(rng, requests)
        wheres = {"cwd": 50, "directory": 12, "project": 12, "UV_WORKING_DIR": 10,
                  "UV_PROJECT": 8, "workdir+project": 8}  # fmt: skip
        if workspace:
            wheres["root"] = 12
        if command in RUN_COMMANDS:
            wheres["script"] = 20
        if request in ("rp", "ws-member-rp", "ws-new-member"):
            value = rng.choice(RP_SPECS)
        elif request == "pvs-root":
            first = _pick_version(rng, base, paths=False)
            value = f"{first}|{rng.choice(VERSIONS)}"
        elif request == "none":
            value = ""
        else:
            value = _pick_version(rng, base, paths=request in (*ARGV_REQUESTS, "UV_PYTHON"))
        out.append(
            Scenario(
                idx=idx,
                base=base,
                creator=rng.choice(("venv", "sync")),
                farm=state == "base-gone" or rng.random() < 0.2,
                workspace=workspace,
                envloc=_weighted(rng, ENVLOCS),
                where=_weighted(rng, wheres),
                global_after=rng.random() < 0.4,
                request=request,
                value=value,
                state=state,
                command=command,
                backdate=rng.random() < 0.85,
            )
        )
    return out


SCENARIOS = generate(SEED, COUNT)
FAILING = ("MISS", "MISS-wrong-dir", "FALSE-POSITIVE", "FOREIGN-REPLACED", "BAD-OBSERVATION")

# ------------------------------------------------------------------ helpers


def backdate(root: Path, age: float, *, only_fresh: bool = False) -> list[Path]:
    """Set the mtime of everything under `root` (links themselves, not their targets)."""
    now = time.time()
    when = int((now - age) * 1e9)
    changed = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if only_fresh and os.lstat(path).st_mtime > now - FRESH:
                changed.append(path)
            elif only_fresh:
                continue
            os.utime(path, ns=(when, when), follow_symlinks=False)
    return changed


def resolve_token(token: str, pythons: Mapping[str, Path], toolbin: Path) -> str:
    """A version token of a scenario as uv gets it."""
    if token.startswith("full:"):
        return pythons[token[5:]].parent.parent.name  # pyenv's directory: "3.11.7"
    if token.startswith("path:toolbin:"):
        return str(toolbin / f"python{token[13:]}")
    if token.startswith("path:pyenv:"):
        return str(pythons[token[11:]])
    if token == "path:system":
        return str(SYSTEM_PYTHON if SYSTEM_PYTHON.exists() else pythons["3.11"])
    return token


def command_argv(
    command: str, pyargs: list[str], script: str | None, script_flag: str = "scripts/s.py"
) -> list[str]:
    """The argv of a scenario's command. `script_flag`: the file `run --script` is given (one
    without inline metadata, so uv runs it in the project's env)."""
    target = [script] if script else ["python", "-c", "pass"]
    return {
        "run-no-command": ["run", *pyargs],
        "run-script-flag": ["run", *pyargs, "--script", script_flag],
        "sync": ["sync", *pyargs],
        "run": ["run", *pyargs, *target],
        "run-no-sync": ["run", "--no-sync", *pyargs, *target],
        "run-UV_NO_SYNC": ["run", *pyargs, *target],
        "version-bump": ["version", "--bump", "patch", *pyargs],
        "add-frozen": ["add", "--frozen", *pyargs, "x"],
        "sync-dry-run": ["sync", "--dry-run", *pyargs],
        "venv-clear": ["venv", "--clear", *pyargs],
        "venv": ["venv", *pyargs],
    }[command]


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


@dataclass
class World:
    """One scenario, built in `tmp`."""

    tmp: Path
    real_uv: Path
    pythons: Mapping[str, Path]
    toolbin: Path
    log: list[str] = field(default_factory=list)

    def uv(
        self, argv: list[str], *, cwd: Path, env: Mapping[str, str], what: str
    ) -> subprocess.CompletedProcess[str]:
        proc = run([self.real_uv, *argv], env=env, cwd=cwd, input=b"", timeout=60)
        self.log.append(
            f"{what}: (cwd {_rel(cwd, self.tmp)}) uv {' '.join(argv)} -> exit {proc.returncode}"
        )
        return proc

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.log.append(f"wrote {_rel(path, self.tmp)}: {text!r}")


def set_requires_python(pyproject: Path, spec: str) -> str:
    lines = pyproject.read_text().splitlines(keepends=True)
    new = [
        f'requires-python = "{spec}"\n' if ln.startswith("requires-python") else ln for ln in lines
    ]
    text = "".join(new)
    pyproject.write_text(text)  # in place: same inode
    return text


def _clear_dir(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def mutate_state(w: World, sc: Scenario, env_real: Path, farm_link: Path | None) -> None:
    state = sc.state
    if state == "healthy":
        return
    if state == "base-gone":
        assert farm_link is not None
        farm_link.unlink()
        w.log.append(f"deleted the interpreter link {_rel(farm_link, w.tmp)}: bin/python dangles")
    elif state in ("remnant", "skeleton"):
        for exe in (env_real / "bin").glob("python*"):
            exe.unlink()
        if state == "skeleton":
            (env_real / "pyvenv.cfg").unlink()
        w.log.append(f"removed bin/python*{' and pyvenv.cfg' * (state == 'skeleton')}")
    elif state == "empty":
        _clear_dir(env_real)
        w.log.append("emptied the env directory")
    elif state == "missing":
        shutil.rmtree(env_real)
        w.log.append("removed the env directory")
    elif state == "foreign":
        shutil.rmtree(env_real)
        for name in USER_FILES:
            w.write(env_real / name, f"user data {name}\n")
    elif state == "cfg-mismatch":
        cfg = env_real / "pyvenv.cfg"
        other = next(v for v in VERSIONS if v != sc.base)
        full = w.pythons[other].parent.parent.name
        text = "".join(
            f"version_info = {full}\n" if ln.startswith("version_info") else ln
            for ln in cfg.read_text().splitlines(keepends=True)
        )
        with cfg.open("r+") as fh:  # in place: same inode
            fh.write(text)
            fh.truncate()
        w.log.append(f"pyvenv.cfg version_info -> {full}")
    elif state == "interp-swapped":
        other = next(v for v in VERSIONS if v != sc.base)
        link = env_real / "bin" / "python"
        link.unlink()
        link.symlink_to(w.toolbin / f"python{other}")
        w.log.append(f"bin/python -> {other}")
    else:  # pragma: no cover
        raise AssertionError(state)


def mutate_request(
    w: World, sc: Scenario, root: Path, member: Path, env: Mapping[str, str]
) -> None:
    r, value = sc.request, sc.value

    def tok(token: str) -> str:
        return resolve_token(token, w.pythons, w.toolbin)

    if r == "pv-root":
        w.write(root / ".python-version", tok(value) + "\n")
    elif r == "pv-parent":
        w.write(root.parent / ".python-version", tok(value) + "\n")
    elif r == "pvs-root":
        w.write(root / ".python-versions", "".join(tok(v) + "\n" for v in value.split("|")))
    elif r == "pv-global":
        w.write(Path(env["XDG_CONFIG_HOME"]) / "uv" / ".python-version", tok(value) + "\n")
    elif r == "pv-member":
        w.write(member / ".python-version", tok(value) + "\n")
    elif r == "rp":
        set_requires_python(root / "pyproject.toml", value)
        w.log.append(f"requires-python of the root -> {value!r}")
    elif r == "ws-member-rp":
        set_requires_python(root / "packages" / "b" / "pyproject.toml", value)
        w.log.append(f"requires-python of member packages/b -> {value!r}")
    elif r == "ws-new-member":
        make_project(root / "packages" / "c", requires_python=value, name="c")
        w.log.append(f"new member packages/c with requires-python {value!r}")
