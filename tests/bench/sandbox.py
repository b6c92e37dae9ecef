"""The sandbox every row runs in: one temporary directory with a tool dir, a shim, its own HOME.

Built from tests/support, as the end-to-end tests build theirs: the real uv and the interpreters
(tools.find_real_uv, tools.find_pythons), a tool dir of links to them (tools.make_toolbin), the
hermetic environment (hermetic.base_env) and the shim written by `venvshim install`
(hermetic.install_shim). "plain" runs the real uv from the tool dir, "shim" the shim first on
that PATH.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.bench.harness import BenchError, Row, interleaved, med, run_ok, run_timed, spread
from tests.support import hermetic, tools

REPO = Path(__file__).resolve().parents[2]
WANTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
SWITCH_FROM, SWITCH_TO = "3.12", "3.13"
RACY_WAIT = 2.5  # venvshim caches no verdict on files younger than 2 s (verdicts.RACY_SECONDS)


def venvshim_cli() -> list[str]:
    """How rows run `venvshim` itself (gc): the console script beside this Python, if any."""
    script = Path(sys.executable).parent / "venvshim"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "venvshim"]


class Sandbox:
    """Everything the benchmark runs in, under one temporary directory."""

    def __init__(self, root: Path, hooks_dir: Path) -> None:
        self.root = root
        self.hooks_dir = hooks_dir  # row 6: where venvshim.{bash,zsh,fish} are
        real_uv = tools.find_real_uv()
        if real_uv is None:
            raise BenchError(
                "the real uv binary not found (pip install uv, or set VENVSHIM_TEST_UV)"
            )
        self.real_uv = real_uv
        self.pythons = tools.find_pythons(WANTED_PYTHONS)
        missing = [m for m in (SWITCH_FROM, SWITCH_TO) if m not in self.pythons]
        if missing:
            raise BenchError(f"CPython {', '.join(missing)} not found under {tools.pyenv_root()}")
        self.toolbin = tools.make_toolbin(root / "toolbin", self.real_uv, self.pythons)
        self.plain_uv = self.toolbin / "uv"
        self.home = root / "home"
        self.plain_env = hermetic.base_env(self.toolbin, self.home, root / "uv-cache")
        self.cli = venvshim_cli()
        # venvshim's default shim location (inside the sandbox's XDG_DATA_HOME): the shell hooks
        # look for it there when VENVSHIM_SHIM_DIR is unset, as after a real install.
        self.shim_dir = Path(self.plain_env["XDG_DATA_HOME"]) / "venvshim" / "bin"
        try:
            self.shim_uv = hermetic.install_shim(self.shim_dir, env=self.plain_env)
        except RuntimeError as exc:
            raise BenchError(str(exc)) from exc
        self.shim_python = self._shim_python()
        self.shim_env = {
            **self.plain_env,
            "PATH": f"{self.shim_dir}{os.pathsep}{self.plain_env['PATH']}",
        }
        self.logs = root / "logs"
        self.logs.mkdir()

    def _shim_python(self) -> str:
        """The interpreter the installed shim starts (`exec PYTHON -I -S -c BOOT ...`)."""
        for line in self.shim_uv.read_text().splitlines():
            if line.startswith("exec ") and " -I -S -c " in line:
                return shlex.split(line)[1]
        return sys.executable

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def make_project(self, name: str) -> Path:
        return hermetic.make_project(self.root / "projects" / name, name=name)

    def plain_sync(self, project: Path, python: str) -> None:
        run_ok([self.plain_uv, "sync", "-p", python], env=self.plain_env, cwd=project)

    def healthy_project(self) -> Path:
        """A project synced on SWITCH_FROM, made once and shared by the rows that leave it be."""
        project = self.root / "projects" / "healthy"
        if not (project / ".venv").is_dir():
            self.make_project("healthy")
            self.plain_sync(project, SWITCH_FROM)
        return project


def describe(sb: Sandbox) -> None:
    """The header of a run: the machine, uv, the shim's Python, the load, the sandbox."""
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    uv_version = run_ok([sb.real_uv, "--version"], env=sb.plain_env, cwd=sb.root).stdout.strip()
    shim_py = run_ok(
        [sb.shim_python, "-c", "import sys; print(sys.version.split()[0])"],
        env=sb.plain_env,
        cwd=sb.root,
    ).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print("venvshim benchmark (issue 4)")
    print(f"  machine : {affinity} CPUs (nproc), {model}")
    print(f"  kernel  : {platform.system()} {platform.release()} {platform.machine()}")
    print(f"  uv      : {uv_version} ({sb.real_uv})")
    print(
        f"  python  : shim runs {sb.shim_python} ({shim_py}); pythons on PATH: "
        + ", ".join(sorted(sb.pythons))
    )
    print(f"  load    : {load} (1/5/15 min) at start")
    print(f"  sandbox : {sb.root}")
    print()


@contextlib.contextmanager
def sandbox_dir(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="venvshim-bench-"))
    try:
        yield root
    finally:
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


# --- what rows share --------------------------------------------------------------------------


def uv_pair(
    sb: Sandbox,
    project: Path,
    key: str,
    what: str,
    args: list[str],
    target: float,
    n: int,
    *,
    extra_env: Mapping[str, str] | None = None,
) -> Row:
    """The same uv command through plain uv and through the shim: 3 warm-ups, n A/B pairs."""
    log_p, log_s = sb.log(f"{key}-plain"), sb.log(f"{key}-shim")
    plain_env = {**sb.plain_env, **(extra_env or {})}
    shim_env = {**sb.shim_env, **(extra_env or {})}

    def plain() -> float:
        return run_timed([sb.plain_uv, *args], env=plain_env, cwd=project, log=log_p).seconds

    def shim() -> float:
        return run_timed([sb.shim_uv, *args], env=shim_env, cwd=project, log=log_s).seconds

    for _ in range(3):
        plain()
        shim()
    tp, ts = interleaved(n, plain, shim)
    return Row(
        key,
        what,
        base=med(tp),
        shim=med(ts),
        target=target,
        n=n,
        note=f"spread (IQR/median) plain {spread(tp)}, shim {spread(ts)}",
    )


def tombstones_in(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*venvshim-tomb-*"))


def registry_records(home: Path) -> list[Path]:
    """The tombstone records under the state root `home` (VENVSHIM_HOME)."""
    return sorted((home / "tombstones").glob("*.json"))


def state_snapshot(home: Path) -> dict[str, int]:
    """mtime of every file venvshim keeps under its state root, but for locks and logs: a
    rewrite during the timed runs means the shim missed its cached verdict."""
    snap: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(home):
        if dirpath == str(home):
            dirnames[:] = [d for d in dirnames if d not in ("locks", "logs")]
        for name in filenames:
            with contextlib.suppress(OSError):
                snap[os.path.join(dirpath, name)] = os.lstat(
                    os.path.join(dirpath, name)
                ).st_mtime_ns
    return snap


def rm_tree(path: Path) -> None:
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def age_past_racy_window() -> None:
    """Let every file just written age past the window in which venvshim caches no verdict."""
    time.sleep(RACY_WAIT)
