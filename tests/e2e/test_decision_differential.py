"""Differential test: does the shim's decision (`decision.plan`) match what the real uv then does?

Every scenario is generated from a fixed seed (override with VENVSHIM_DIFF_SEED, and the number
of scenarios with VENVSHIM_DIFF_COUNT); its id (`s042-...`) selects it with `-k s042`. A scenario:

1. builds a project (plain, or a workspace with members under `packages/*`) and creates its
   environment with the plain real uv (`uv venv -p X` or `uv sync -p X`, X in 3.10-3.13, maybe
   from a private interpreter link that can be deleted later), at `.venv`, at a relative or
   absolute `UV_PROJECT_ENVIRONMENT`, or behind a `.venv` symlink; plants a sentinel file in it;
2. backdates every file, then calls `plan()` once with the final command on this state: the
   warm-up, which caches a "keep" verdict when uv would use the environment as it is;
3. applies the mutation: a Python request on disk (`.python-version` at the root, in a parent or
   a member, `.python-versions`, the global version file, `requires-python`, a member's
   `requires-python`, a new member) and an environment state (base interpreter gone, remnant,
   uv skeleton, empty, missing, user files, pyvenv.cfg version or interpreter swapped), and
   backdates what changed to another old time, so that only the stat fingerprint can notice it;
4. calls `plan()` (the decision under test), then runs the same argv, environment and cwd with
   the plain real uv (never the shim);
5. uv replaced the environment iff it was a venv or a remnant before and the sentinel is gone
   (uv creating a missing or empty environment is not a replacement).

Outcomes: a miss (uv replaced, plan said keep, or plan named another directory) and a false
positive (plan said replace, uv exited 0 and kept the environment) fail the scenario, as does
any "replace" of a directory holding user files. When plan says replace and uv fails without
touching the environment (`-p 3.9`, not installed here), the shim would tombstone the env and
then restore it: recorded as "replace/uv-failed", not a failure. `test_zz_summary` prints the
table of outcomes (`-s` not needed) and, with VENVSHIM_DIFF_REPORT=path, writes every record.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import make_project, require, run, venv_version
from venvshim.intercept import decision, uvargs, verdicts
from venvshim.state import StateRoot

pytestmark = pytest.mark.e2e

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
        wheres = {"cwd": 55, "directory": 15, "project": 15}
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
RESULTS: dict[str, dict[str, object]] = {}

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


def command_argv(command: str, pyargs: list[str], script: str | None) -> list[str]:
    target = [script] if script else ["python", "-c", "pass"]
    return {
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


# ------------------------------------------------------------------ the differential test


@pytest.fixture(scope="module")
def uv_warmed(
    real_uv: Path, toolbin: Path, uv_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Query every interpreter once, so the shared uv cache holds their info for all scenarios."""
    from tests.conftest import base_env

    home = tmp_path_factory.mktemp("warm-home")
    env = base_env(toolbin, home, uv_cache)
    proc = run([real_uv, "python", "list", "--only-installed"], env=env, cwd=home)
    assert proc.returncode == 0, proc.stderr
    return real_uv


def _is_cached(state: StateRoot, chosen: decision.Plan) -> bool:
    return (
        chosen.cache_key is not None and verdicts.lookup(state.cache, chosen.cache_key) is not None
    )


def _failure(sc: Scenario, w: World, rec: Mapping[str, object], why: str) -> str:
    lines = [f"{why}", sc.describe(), f"rerun: pytest {__file__} -k {sc.id}", "steps:"]
    lines += [f"  {s}" for s in w.log]
    lines += [f"  {k}: {v}" for k, v in rec.items() if k != "stderr"]
    lines += ["uv stderr:", *(f"  | {ln}" for ln in str(rec.get("stderr", "")).splitlines())]
    return "\n".join(lines)


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_plan_matches_uv(
    sc: Scenario,
    uv_warmed: Path,
    pythons: dict[str, Path],
    toolbin: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    real_uv = uv_warmed
    w = World(tmp_path, real_uv, pythons, toolbin)
    state = StateRoot(Path(env["VENVSHIM_HOME"]))

    # --- 1. the project and its environment
    outer = tmp_path / "w"
    if sc.workspace:
        root = make_project(outer / "ws", requires_python=">=3.10", name="ws")
        with (root / "pyproject.toml").open("a") as fh:
            fh.write('\n[tool.uv.workspace]\nmembers = ["packages/*"]\n')
        member = make_project(root / "packages" / "a", requires_python=">=3.10", name="a")
        make_project(root / "packages" / "b", requires_python=">=3.10", name="b")
    else:
        root = member = make_project(outer / "proj")
    w.write(member / "scripts" / "s.py", "pass\n")

    create_env = dict(env)
    env_loc = root / ".venv"
    if sc.envloc == "env-rel":
        create_env["UV_PROJECT_ENVIRONMENT"] = "envs/py"
        env_loc = root / "envs" / "py"
    elif sc.envloc == "env-abs":
        env_loc = tmp_path / "elsewhere" / "penv"
        create_env["UV_PROJECT_ENVIRONMENT"] = str(env_loc)
    elif sc.envloc.startswith("symlink"):
        target = tmp_path / "elsewhere" / "env"
        target.mkdir(parents=True)
        env_loc.symlink_to(_rel(target, root) if sc.envloc == "symlink-rel" else target)
        w.log.append(f".venv -> {os.readlink(env_loc)}")
    env_real = Path(os.path.realpath(env_loc))

    spec = sc.base
    farm_link = None
    if sc.farm:
        farm_link = tmp_path / "farm" / f"python{sc.base}"
        farm_link.parent.mkdir()
        farm_link.symlink_to(pythons[sc.base])
        spec = str(farm_link)
    made = w.uv([sc.creator, "-p", spec], cwd=root, env=create_env, what="create")
    assert made.returncode == 0, made.stderr
    assert venv_version(env_real) == sc.base, made.stderr
    (env_real / SENTINEL).write_text("if this file is gone, the environment was replaced\n")

    # --- the final invocation
    final_env = dict(create_env)
    pyargs: list[str] = []
    value = resolve_token(sc.value, pythons, toolbin)
    if sc.request == "p-space":
        pyargs = ["-p", value]
    elif sc.request == "p-joined":
        pyargs = [f"-p{value}"]
    elif sc.request == "python-eq":
        pyargs = [f"--python={value}"]
    elif sc.request == "python-space":
        pyargs = ["--python", value]
    elif sc.request == "UV_PYTHON":
        final_env["UV_PYTHON"] = value
    if sc.command == "run-UV_NO_SYNC":
        final_env["UV_NO_SYNC"] = "1"
    cwd = member
    script = None
    global_opts: list[str] = []
    if sc.where == "root":
        cwd = root
    elif sc.where in ("directory", "project"):
        cwd = tmp_path
        global_opts = [f"--{sc.where}", _rel(member, tmp_path)]
    elif sc.where == "script":
        cwd = tmp_path
        script = _rel(member / "scripts" / "s.py", tmp_path)
    argv = command_argv(sc.command, pyargs, script)
    if global_opts:
        argv = [argv[0], *global_opts, *argv[1:]] if sc.global_after else [*global_opts, *argv]
    extra_env = {k: v for k, v in final_env.items() if env.get(k) != v}

    # --- 2. warm-up on the built state
    backdate(tmp_path, BUILT_AGE)
    inv = uvargs.parse(argv)
    warm = decision.plan(str(real_uv), inv, cwd=cwd, env=final_env, state=state)
    warm_cached = _is_cached(state, warm)
    if not warm_cached and warm.action == decision.KEEP and warm.reason != "cached":
        # uv's dry-run creates `.lock` in an env made by `uv venv`, which makes the env dir too
        # fresh to cache; the next decision caches, as a second command would.
        backdate(tmp_path, BUILT_AGE, only_fresh=True)
        warm = decision.plan(str(real_uv), inv, cwd=cwd, env=final_env, state=state)
        warm_cached = _is_cached(state, warm)
    w.log.append(f"warm-up plan: {warm!r} (cached: {warm_cached})")

    # --- 3. the mutation
    mutate_request(w, sc, root, member, final_env)
    mutate_state(w, sc, env_real, farm_link)
    if sc.backdate:
        changed = backdate(tmp_path, MUTATED_AGE, only_fresh=True)
        w.log.append(f"backdated {len(changed)} changed paths by {MUTATED_AGE:.0f}s")

    # --- 4. the decision, then the real uv
    chosen = decision.plan(str(real_uv), uvargs.parse(argv), cwd=cwd, env=final_env, state=state)
    w.log.append(f"plan: {chosen!r}")
    existed = sc.state in EXISTING_STATES
    assert not existed or (env_real / SENTINEL).is_file()
    proc = w.uv(argv, cwd=cwd, env=final_env, what="real uv")

    # --- 5. what uv did
    replaced = existed and not (env_real / SENTINEL).exists()
    user_files_intact = all((env_real / n).is_file() for n in USER_FILES)
    target_ok = chosen.current is not None and os.path.realpath(
        chosen.current.real_dir
    ) == os.path.realpath(env_real)
    said_removed = "Removed virtual environment" in proc.stderr
    if sc.state == "foreign" and (chosen.action == decision.REPLACE or not user_files_intact):
        outcome = "FOREIGN-REPLACED"
    elif said_removed and not replaced:
        outcome = "BAD-OBSERVATION"  # uv says it removed an env, but the sentinel survived
    elif replaced and chosen.action != decision.REPLACE:
        outcome = "MISS"
    elif replaced and not target_ok:
        outcome = "MISS-wrong-dir"
    elif chosen.action == decision.REPLACE and not replaced:
        outcome = "FALSE-POSITIVE" if proc.returncode == 0 else "replace/uv-failed"
    else:
        outcome = f"ok-{chosen.action}"
    rec: dict[str, object] = {
        "outcome": outcome,
        "argv": ["uv", *argv],
        "cwd": _rel(cwd, tmp_path),
        "extra env": extra_env,
        "env (built)": _rel(env_loc, tmp_path),
        "warm": f"{warm.action}/{warm.reason}",
        "warm cached": warm_cached,
        "plan": f"{chosen.action}/{chosen.reason}",
        "plan target": chosen.current.real_dir if chosen.current else chosen.env_path,
        "uv exit": proc.returncode,
        "uv replaced": replaced,
        "uv said Removed": said_removed,
        "stderr": proc.stderr.strip(),
        "describe": sc.describe(),
    }
    RESULTS[sc.id] = rec
    if outcome in FAILING:
        pytest.fail(_failure(sc, w, rec, outcome), pytrace=False)


def test_zz_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the outcomes of the scenarios run in this session (all of them, or the `-k` ones)."""
    if not RESULTS:
        pytest.skip("no differential scenario ran in this session")
    counts = Counter(str(r["outcome"]) for r in RESULTS.values())
    by_command: dict[str, Counter[str]] = {}
    for sid, rec in RESULTS.items():
        command = next(sc.command for sc in SCENARIOS if sc.id == sid)
        by_command.setdefault(command, Counter())[str(rec["outcome"])] += 1
    hits = sum(1 for r in RESULTS.values() if str(r["plan"]).endswith("/cached"))
    warmed = [r for r in RESULTS.values() if r["warm cached"]]
    overturned = sum(1 for r in warmed if str(r["plan"]).startswith("replace"))
    lines = [
        f"decision differential: seed {SEED}, {len(RESULTS)}/{len(SCENARIOS)} scenarios run",
        "  " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
        *(
            f"    {cmd:15} " + ", ".join(f"{k}: {v}" for k, v in sorted(c.items()))
            for cmd, c in sorted(by_command.items())
        ),
        f"  cache: {len(warmed)} warm-ups cached a keep; {hits} final decisions were cache hits;"
        f" {overturned} cached keeps were overturned to replace by the mutation",
    ]
    for sid, rec in sorted(RESULTS.items()):
        if not str(rec["outcome"]).startswith("ok-"):
            lines.append(
                f"  {sid}: {rec['outcome']}: {' '.join(map(str, rec['argv']))} "
                f"(cwd {rec['cwd']}, env {rec['extra env']}) plan {rec['plan']}, "
                f"uv exit {rec['uv exit']}"
            )
            lines += [f"      | {ln}" for ln in str(rec["stderr"]).splitlines()[-3:]]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    report = os.environ.get("VENVSHIM_DIFF_REPORT")
    if report:  # every scenario's record, for a closer look
        Path(report).write_text(json.dumps(RESULTS, indent=1, default=str))
    if len(RESULTS) == len(SCENARIOS) >= 150:
        # The cache is really exercised: hits, and cached verdicts the mutation must overturn.
        assert hits >= 5, lines
        assert overturned >= 20, lines


def test_scenarios_cover_every_dimension() -> None:
    """The seeded generation reaches every value of every dimension, and enough combinations."""
    require(COUNT >= 150, "VENVSHIM_DIFF_COUNT below 150: coverage not checked")
    seen: dict[str, set[object]] = {}
    for sc in SCENARIOS:
        for name in ("base", "creator", "farm", "workspace", "envloc", "where", "request"):
            seen.setdefault(name, set()).add(getattr(sc, name))
        seen.setdefault("state", set()).add(sc.state)
        seen.setdefault("command", set()).add(sc.command)
        seen.setdefault("cmd x existing", set()).add((sc.command, sc.state in EXISTING_STATES))
    assert seen["base"] == set(VERSIONS)
    assert seen["creator"] == {"venv", "sync"}
    assert seen["envloc"] == set(ENVLOCS)
    assert seen["where"] == {"cwd", "root", "directory", "project", "script"}
    assert seen["request"] == set(REQUESTS) | set(WORKSPACE_REQUESTS)
    assert seen["state"] == set(STATES)
    assert seen["command"] == set(COMMANDS)
    assert len(seen["cmd x existing"]) == 2 * len(COMMANDS)
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)


# ------------------------------------------------------------------ the cache, unit level

CACHE_CHANGES = ("python-version-file", "requires-python", "UV_PYTHON", "broken-link")


@pytest.mark.parametrize("change", CACHE_CHANGES)
def test_cached_keep_is_dropped_when_the_request_changes(
    change: str,
    uv_warmed: Path,
    pythons: dict[str, Path],
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    """A cached "keep" for `uv sync` must not survive a change that makes uv replace the env.

    File changes are backdated to another old time (same size, same inode for the in-place
    requires-python edit): only the fingerprint's mtime can tell them apart.
    """
    real_uv = str(uv_warmed)
    state = StateRoot(Path(env["VENVSHIM_HOME"]))
    project = make_project(tmp_path / "proj", requires_python=">=3.10")
    farm = tmp_path / "farm" / "python3.11"
    farm.parent.mkdir()
    farm.symlink_to(pythons["3.11"])
    made = run([real_uv, "venv", "-p", str(farm)], env=env, cwd=project, input=b"")
    assert made.returncode == 0, made.stderr
    backdate(tmp_path, BUILT_AGE)

    def decide_sync(e: Mapping[str, str]) -> decision.Plan:
        return decision.plan(real_uv, uvargs.parse(["sync"]), cwd=project, env=e, state=state)

    first = decide_sync(env)
    assert first.action == decision.KEEP and first.reason == "use", first
    if not _is_cached(state, first):  # uv's dry-run created .venv/.lock: the dir was too fresh
        backdate(tmp_path, BUILT_AGE, only_fresh=True)
        first = decide_sync(env)
    assert _is_cached(state, first), first
    second = decide_sync(env)
    assert second.reason == "cached", second

    final_env = dict(env)
    if change == "python-version-file":
        (project / ".python-version").write_text("3.12\n")
    elif change == "requires-python":
        set_requires_python(project / "pyproject.toml", ">=3.12")  # same size as ">=3.10"
    elif change == "UV_PYTHON":
        final_env["UV_PYTHON"] = "3.12"
    elif change == "broken-link":
        farm.unlink()  # .venv/bin/python itself is untouched: only its target is gone
    backdate(tmp_path, MUTATED_AGE, only_fresh=True)

    after = decide_sync(final_env)
    assert after.action == decision.REPLACE, after
    assert after.reason in ("replace", "remnant"), after
    # and uv agrees
    proc = run([real_uv, "sync"], env=final_env, cwd=project, input=b"")
    assert proc.returncode == 0, proc.stderr
    assert "Removed virtual environment" in proc.stderr, proc.stderr
