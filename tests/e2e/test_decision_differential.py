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
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import make_project, require, run, venv_version
from tests.support.differential import (
    BUILT_AGE,
    COMMANDS,
    COUNT,
    ENVLOCS,
    EXISTING_STATES,
    FAILING,
    MUTATED_AGE,
    REQUESTS,
    SCENARIOS,
    SEED,
    SENTINEL,
    STATES,
    USER_FILES,
    VERSIONS,
    WORKSPACE_REQUESTS,
    Scenario,
    World,
    _rel,
    backdate,
    command_argv,
    mutate_request,
    mutate_state,
    resolve_token,
    set_requires_python,
)  # fmt: skip
from venvshim.intercept import decision, uvargs, verdicts
from venvshim.state import StateRoot

pytestmark = pytest.mark.e2e
RESULTS: dict[str, dict[str, object]] = {}

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
    workdir = member  # where uv works: relative paths (--script's too) start there
    if sc.where == "root":
        cwd = workdir = root
    elif sc.where in ("directory", "project"):
        cwd = tmp_path
        global_opts = [f"--{sc.where}", _rel(member, tmp_path)]
        workdir = member if sc.where == "directory" else tmp_path
    elif sc.where == "script":
        cwd = workdir = tmp_path
        script = _rel(member / "scripts" / "s.py", tmp_path)
    elif sc.where == "UV_WORKING_DIR":
        cwd = tmp_path
        final_env["UV_WORKING_DIR"] = _rel(member, tmp_path)
    elif sc.where == "UV_PROJECT":
        cwd = workdir = tmp_path
        final_env["UV_PROJECT"] = _rel(member, tmp_path)
    elif sc.where == "workdir+project":  # the project named relative to the working directory
        cwd = tmp_path / "elsewhere-cwd"
        cwd.mkdir()
        final_env["UV_WORKING_DIR"] = str(tmp_path)
        global_opts = ["--project", _rel(member, tmp_path)]
        workdir = tmp_path
    script_flag = _rel(member / "scripts" / "s.py", workdir)
    argv = command_argv(sc.command, pyargs, script, script_flag)
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
    assert seen["where"] == {
        "cwd", "root", "directory", "project", "script", "UV_WORKING_DIR", "UV_PROJECT",
        "workdir+project",
    }  # fmt: skip
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
