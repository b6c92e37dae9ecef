"""venvshim benchmark (issue 4): the uv shim against plain uv, interleaved, on this machine.

    python tests/bench/bench.py [--quick]

Builds everything in a temporary directory (a clean PATH of `pythonX.Y` links and the real uv,
a shim installed with `venvshim install`, its own HOME, VENVSHIM_HOME and UV_CACHE_DIR), runs
every measurement as alternating A/B pairs and compares medians. Prints a table and exits 1 when
a measured target is missed (or a row could not be measured). See README.md beside this file.

Not a pytest module (no `test_` prefix): timing assertions do not belong in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: tests.support is imported from the checkout

from tests.support import ptyshell, tools  # noqa: E402

WANTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
SWITCH_FROM, SWITCH_TO = "3.12", "3.13"
FAKE_FILES = 20_000
PROMPT_PAIRS = 8  # row 6: fresh shell pairs the prompts are spread over
FAKE_DIRS = 100  # FAKE_FILES spread over this many sub-packages, like a real large package
RACY_WAIT = 2.5  # venvshim caches no verdict on files younger than 2 s (verdicts.RACY_SECONDS)
GC_WAIT_TIMEOUT = 120.0
PROMPT = b"<VSPROMPT>"


class BenchError(Exception):
    """A row could not be measured (setup failed, a command failed, a check did not hold)."""


class Sizes:
    def __init__(self, quick: bool, copies: bool) -> None:
        self.links = not copies  # the 20k-file trees: hard links to one template, or copies
        self.fast = 15 if quick else 61  # rows 1, 2: pairs of ~10-50 ms commands
        self.switch = 5 if quick else 21  # row 3 rounds (each rebuilds two 20k-file envs)
        self.gc = 5 if quick else 21  # row 4 rounds
        if copies:  # new inodes: seconds per tree to make and to delete on a slow disk
            self.switch = self.gc = 3 if quick else 7
        self.dry = 9 if quick else 31  # row 5 pairs
        self.prompts = 500 if quick else 2000  # row 6 prompts per shell (~0.1 ms each)
        self.mem = 7 if quick else 21  # row 7 pairs
        self.pyenv = 9 if quick else 31


# --- results --------------------------------------------------------------------------------


class Row:
    def __init__(
        self,
        key: str,
        what: str,
        *,
        base: float | None = None,
        shim: float | None = None,
        unit: str = "ms",
        target: float | None = None,
        status: str | None = None,
        n: int | None = None,
        note: str = "",
    ) -> None:
        self.key = key
        self.what = what
        self.base = base
        self.shim = shim
        self.unit = unit
        self.target = target
        self.n = n
        self.note = note
        self.ratio = shim / base if base and shim is not None else None
        if status is None:
            if self.ratio is None or target is None:
                status = "ref"
            else:
                status = "PASS" if self.ratio <= target else "FAIL"
        self.status = status

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "ERROR")


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        if value < 0.001:
            return f"{value * 1e6:.0f} us"
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value / 1024:.1f} MB"  # ru_maxrss is in KiB on Linux
    return f"{value:g} {unit}"


def print_table(rows: Sequence[Row]) -> None:
    header = ("row", "what", "plain", "shim", "ratio", "target", "n", "result")
    lines = []
    for r in rows:
        lines.append(
            (
                r.key,
                r.what,
                fmt_value(r.base, r.unit),
                fmt_value(r.shim, r.unit),
                "-" if r.ratio is None else f"{r.ratio:.2f}",
                "-" if r.target is None else f"<= {r.target:g}",
                "-" if r.n is None else str(r.n),
                r.status,
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    right = {2, 3, 4, 6}

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    print(fmt(header))
    print(fmt(["-" * w for w in widths]))
    for line in lines:
        print(fmt(line))
    notes = [(r.key, r.note) for r in rows if r.note]
    if notes:
        print()
        for key, note in notes:
            print(f"  {key}: {note}")


# --- running commands -----------------------------------------------------------------------


class Timed:
    __slots__ = ("maxrss", "returncode", "seconds")

    def __init__(self, seconds: float, returncode: int, maxrss: int) -> None:
        self.seconds = seconds
        self.returncode = returncode
        self.maxrss = maxrss  # KiB: this process and its reaped descendants (wait4)


def run_timed(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path | None = None,
    check: bool = True,
) -> Timed:
    """Wall time from spawn to exit, and the max RSS, of one command (stdio to `log`)."""
    args = [os.fspath(a) for a in argv]
    with open(log if log is not None else os.devnull, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(proc.pid, 0)
        t1 = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if check and proc.returncode != 0:
        tail = log.read_text(errors="replace")[-1500:] if log is not None else ""
        raise BenchError(f"`{shlex.join(args)}` (in {cwd}) exited {proc.returncode}\n{tail}")
    return Timed(t1 - t0, proc.returncode, usage.ru_maxrss)


def run_ok(
    argv: Sequence[str | os.PathLike[str]], *, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    args = [os.fspath(a) for a in argv]
    proc = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if proc.returncode != 0:
        raise BenchError(
            f"`{shlex.join(args)}` (in {cwd}) exited {proc.returncode}\n"
            f"{proc.stdout[-800:]}{proc.stderr[-1500:]}"
        )
    return proc


def interleaved(
    n: int, a: Callable[[], float], b: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """n A/B pairs, alternating which goes first, so drift and noise hit both sides alike."""
    ta: list[float] = []
    tb: list[float] = []
    for i in range(n):
        if i % 2 == 0:
            ta.append(a())
            tb.append(b())
        else:
            tb.append(b())
            ta.append(a())
    return ta, tb


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """Interquartile range as a percentage of the median (noise indicator)."""
    if len(values) < 4:
        return "?"
    q = statistics.quantiles(values, n=4)
    return f"{(q[2] - q[0]) / statistics.median(values) * 100:.0f}%"


# --- the sandbox ----------------------------------------------------------------------------


def find_real_uv() -> Path:
    uv = tools.find_real_uv()
    if uv is None:
        raise BenchError("the real uv binary not found (pip install uv, or set VENVSHIM_TEST_UV)")
    return uv


def find_pythons() -> dict[str, Path]:
    found = tools.find_pythons(WANTED_PYTHONS)
    missing = [m for m in (SWITCH_FROM, SWITCH_TO) if m not in found]
    if missing:
        raise BenchError(f"CPython {', '.join(missing)} not found under {tools.pyenv_root()}")
    return found


def venvshim_cli() -> list[str]:
    script = Path(sys.executable).parent / "venvshim"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "venvshim"]


class Sandbox:
    """Everything the benchmark runs in, under one temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_uv = find_real_uv()
        self.pythons = find_pythons()
        self.toolbin = root / "toolbin"
        self.toolbin.mkdir()
        for minor, exe in self.pythons.items():
            (self.toolbin / f"python{minor}").symlink_to(exe)
        (self.toolbin / "uv").symlink_to(self.real_uv)
        self.plain_uv = self.toolbin / "uv"
        self.home = root / "home"
        (self.home / "tmp").mkdir(parents=True)
        self.cli = venvshim_cli()
        # venvshim's default shim location (inside the sandbox's XDG_DATA_HOME): the shell hooks
        # look for it there when VENVSHIM_SHIM_DIR is unset, as after a real install.
        self.shim_dir = self.home / ".local" / "share" / "venvshim" / "bin"
        self.shim_uv = self.shim_dir / "uv"
        self.logs = root / "logs"
        self.logs.mkdir()
        self.base_path = f"{self.toolbin}{os.pathsep}/usr/bin{os.pathsep}/bin"
        self.plain_env = {
            "PATH": self.base_path,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "UV_CACHE_DIR": str(root / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_OFFLINE": "1",
            "UV_NO_PROGRESS": "1",
            "VENVSHIM_HOME": str(root / "state-main"),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.home / "tmp"),
        }
        run_ok(
            [*self.cli, "install", "--shim-dir", self.shim_dir, "--no-modify-path"],
            env={**self.plain_env, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
            cwd=root,
        )
        if not self.shim_uv.is_file():
            raise BenchError(f"`venvshim install` did not write {self.shim_uv}")
        self.shim_python = self._shim_python()
        self.shim_env = {**self.plain_env, "PATH": f"{self.shim_dir}{os.pathsep}{self.base_path}"}
        # Row 7's stand-in for the real uv: execs it, or exits at once when BENCH_STOP=1.
        self.wrapper = root / "uvwrap" / "uv-wrapper"
        self.wrapper.parent.mkdir()
        self.wrapper.write_text(
            "#!/bin/sh\n"
            'if [ "${BENCH_STOP-}" = 1 ]; then\n'
            '  [ -n "${BENCH_STOP_LOG-}" ] && printf \'%s\\n\' "$*" >> "$BENCH_STOP_LOG"\n'
            "  exit 0\n"
            "fi\n"
            f'exec {shlex.quote(str(self.real_uv))} "$@"\n'
        )
        self.wrapper.chmod(0o755)

    def _shim_python(self) -> str:
        """The interpreter the installed shim starts (`exec PYTHON -I -S -c BOOT ...`)."""
        for line in self.shim_uv.read_text().splitlines():
            if line.startswith("exec ") and " -I -S -c " in line:
                return shlex.split(line)[1]
        return sys.executable

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def env_with(self, base: dict[str, str], **extra: str) -> dict[str, str]:
        return {**base, **extra}

    def make_project(self, name: str) -> Path:
        root = self.root / "projects" / name
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
            "dependencies = []\n\n[tool.uv]\npackage = false\n"
        )
        return root

    def plain_sync(self, project: Path, python: str) -> None:
        run_ok([self.plain_uv, "sync", "-p", python], env=self.plain_env, cwd=project)


def venv_version(venv: Path) -> str | None:
    try:
        text = (venv / "pyvenv.cfg").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "version_info":
            return ".".join(value.strip().split(".")[:2])
    return None


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise BenchError(f"no site-packages in {venv}")
    return found[0]


def count_files(root: Path) -> int:
    total = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        total += len(filenames) + len(dirnames)
    return total


def make_fake_package(dest: Path) -> None:
    """FAKE_FILES small files in FAKE_DIRS sub-packages: the bulk of a large environment."""
    per_dir = FAKE_FILES // FAKE_DIRS
    dest.mkdir(parents=True)
    for d in range(FAKE_DIRS):
        sub = dest / f"sub{d:03d}"
        sub.mkdir()
        for f in range(per_dir):
            (sub / f"m{f:04d}.py").write_text(f"# benchfake {d}/{f}\nVALUE = {f}\n")


def copy_tree(src: Path, dest: Path, *, links: bool) -> None:
    """`cp -al` (hard links, as uv installs from its cache on Linux) or `cp -a` (new inodes)."""
    subprocess.run(["cp", "-al" if links else "-a", "--", str(src), str(dest)], check=True)


def rm_tree(path: Path) -> None:
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)


def tombstones_in(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*venvshim-tomb-*"))


def registry_records(home: Path) -> list[Path]:
    return sorted((home / "tombstones").glob("*.json"))


def wait_collected(project: Path, home: Path, timeout: float = GC_WAIT_TIMEOUT) -> float | None:
    """Wait for the background gc to delete the project's tombstones; seconds, None on timeout.

    On timeout, remove them ourselves so disk usage stays bounded between rounds.
    """
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if not tombstones_in(project) and not registry_records(home):
            return time.perf_counter() - t0
        time.sleep(0.01)
    for tomb in tombstones_in(project):
        rm_tree(tomb)
    for rec in registry_records(home):
        rec.unlink()
    return None


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


# --- rows 1, 2: pass-through and cached no-ops ------------------------------------------------


def rows_fast(sb: Sandbox, sizes: Sizes) -> list[Row]:
    project = sb.make_project("healthy")
    sb.plain_sync(project, SWITCH_FROM)
    rows: list[Row] = []

    def pair(key: str, what: str, args: list[str], target: float) -> Row:
        log_p, log_s = sb.log(f"{key}-plain"), sb.log(f"{key}-shim")

        def plain() -> float:
            return run_timed([sb.plain_uv, *args], env=sb.plain_env, cwd=project, log=log_p).seconds

        def shim() -> float:
            return run_timed([sb.shim_uv, *args], env=sb.shim_env, cwd=project, log=log_s).seconds

        for _ in range(3):
            plain()
            shim()
        tp, ts = interleaved(sizes.fast, plain, shim)
        return Row(
            key,
            what,
            base=med(tp),
            shim=med(ts),
            target=target,
            n=sizes.fast,
            note=f"spread (IQR/median) plain {spread(tp)}, shim {spread(ts)}",
        )

    rows.append(pair("1a", "uv --version", ["--version"], 1.3))
    rows.append(pair("1b", "uv pip list", ["pip", "list"], 1.3))

    # Row 2: let every watched file age past the racy window, then warm the fingerprint cache.
    time.sleep(RACY_WAIT)
    home = Path(sb.shim_env["VENVSHIM_HOME"])
    for args in (["sync"], ["run", "python", "-c", "pass"]):
        for _ in range(3):
            run_timed([sb.shim_uv, *args], env=sb.shim_env, cwd=project)
    before = state_snapshot(home)
    row_sync = pair("2a", "uv sync (nothing to do)", ["sync"], 1.25)
    row_run = pair("2b", "uv run python -c pass", ["run", "python", "-c", "pass"], 1.25)
    after = state_snapshot(home)
    if not before:
        row_sync.note += "; WARNING: the shim cached nothing under VENVSHIM_HOME in warm-up"
    elif before != after:
        row_sync.note += "; WARNING: the shim rewrote its cache during timing (cache misses)"
    else:
        row_sync.note += f"; shim cache warm ({len(before)} files, unchanged while timed)"
    rows += [row_sync, row_run]
    return rows


# --- row 3: Python switch with a 20,000-file environment --------------------------------------


def row_switch(sb: Sandbox, sizes: Sizes, template: Path) -> Row:
    home = sb.root / "state-switch"
    shim_env = sb.env_with(sb.shim_env, VENVSHIM_HOME=str(home))
    projects = {"plain": sb.make_project("switch-plain"), "shim": sb.make_project("switch-shim")}
    gc_times: list[float] = []
    gc_timeouts = 0
    files_in_env = 0

    def prepare(project: Path) -> int:
        sb.plain_sync(project, SWITCH_FROM)
        copy_tree(template, site_packages(project / ".venv") / "benchfake", links=sizes.links)
        return count_files(project / ".venv")

    def verify(project: Path) -> None:
        venv = project / ".venv"
        got = venv_version(venv)
        if got != SWITCH_TO:
            raise BenchError(f"after the switch {venv} is Python {got}, not {SWITCH_TO}")
        if (site_packages(venv) / "benchfake").exists():
            raise BenchError(f"after the switch {venv} still holds the 20k-file package")
        out = run_ok(
            [venv / "bin" / "python", "-c", "import sys; print(sys.version_info[1])"],
            env=sb.plain_env,
            cwd=project,
        )
        if out.stdout.strip() != SWITCH_TO.split(".")[1]:
            raise BenchError(f"{venv}/bin/python does not run Python {SWITCH_TO}")

    def plain() -> float:
        t = run_timed(
            [sb.plain_uv, "sync", "-p", SWITCH_TO],
            env=sb.plain_env,
            cwd=projects["plain"],
            log=sb.log("3-plain"),
        )
        verify(projects["plain"])
        return t.seconds

    def shim() -> float:
        nonlocal gc_timeouts
        t = run_timed(
            [sb.shim_uv, "sync", "-p", SWITCH_TO],
            env=shim_env,
            cwd=projects["shim"],
            log=sb.log("3-shim"),
        )
        verify(projects["shim"])
        # Outside the timing: let the background gc finish before anything else runs, so it
        # neither competes with the next measurement nor lets tombstones pile up.
        waited = wait_collected(projects["shim"], home)
        if waited is None:
            gc_timeouts += 1
        else:
            gc_times.append(waited)
        return t.seconds

    tp: list[float] = []
    ts: list[float] = []
    for i in range(sizes.switch):
        files_in_env = min(prepare(projects["plain"]), prepare(projects["shim"]))
        os.sync()  # no writeback of the fresh trees during the timed commands
        if i % 2 == 0:
            tp.append(plain())
            ts.append(shim())
        else:
            ts.append(shim())
            tp.append(plain())
    for project in projects.values():
        rm_tree(project / ".venv")
    note = (
        f"env of {files_in_env} files; {SWITCH_FROM} -> {SWITCH_TO}; "
        f"spread plain {spread(tp)}, shim {spread(ts)}"
    )
    if gc_times:
        note += f"; background gc done {med(gc_times):.2f} s (median) after the shim returned"
    if gc_timeouts:
        note += f"; background gc missed {gc_timeouts} tombstone(s) within {GC_WAIT_TIMEOUT:g} s"
        note += " (removed by the benchmark)"
    return Row(
        "3",
        f"uv sync -p {SWITCH_TO} after {SWITCH_FROM}, {FAKE_FILES} files",
        base=med(tp),
        shim=med(ts),
        target=0.5,
        n=sizes.switch,
        note=note,
    )


# --- row 4: gc of that tombstone vs rm -rf --------------------------------------------------


def row_gc(sb: Sandbox, sizes: Sizes, template: Path) -> Row:
    home = sb.root / "state-gc"
    make_env = sb.env_with(sb.shim_env, VENVSHIM_HOME=str(home), VENVSHIM_NO_BACKGROUND_GC="1")
    gc_env = sb.env_with(sb.plain_env, VENVSHIM_HOME=str(home))
    project = sb.make_project("gc")
    rm_target = sb.root / "rm-target"
    rm_bin = shutil.which("rm") or "/bin/rm"
    tg: list[float] = []
    tr: list[float] = []
    files = 0
    for i in range(sizes.gc):
        sb.plain_sync(project, SWITCH_FROM)
        copy_tree(template, site_packages(project / ".venv") / "benchfake", links=sizes.links)
        run_timed(
            [sb.shim_uv, "sync", "-p", SWITCH_TO], env=make_env, cwd=project, log=sb.log("4-make")
        )
        tombs = tombstones_in(project)
        if len(tombs) != 1 or len(registry_records(home)) != 1:
            raise BenchError(f"expected one registered tombstone in {project}, found {tombs}")
        copy_tree(tombs[0], rm_target, links=sizes.links)
        files = count_files(tombs[0])
        os.sync()

        def gc() -> float:
            log = sb.log("4-gc")
            t = run_timed([*sb.cli, "gc"], env=gc_env, cwd=sb.root, log=log)
            if tombs_left := tombstones_in(project):
                raise BenchError(f"venvshim gc left {tombs_left}: {log.read_text()[-800:]}")
            return t.seconds

        def rm() -> float:
            t = run_timed([rm_bin, "-rf", rm_target], env=sb.plain_env, cwd=sb.root)
            if rm_target.exists():
                raise BenchError(f"rm -rf left {rm_target}")
            return t.seconds

        if i % 2 == 0:
            tg.append(gc())
            tr.append(rm())
        else:
            tr.append(rm())
            tg.append(gc())
    rm_tree(project / ".venv")
    note = f"tombstone of {files} files; spread rm {spread(tr)}, gc {spread(tg)}"
    return Row(
        "4",
        "venvshim gc (20k-file tombstone) vs rm -rf",
        base=med(tr),
        shim=med(tg),
        target=1.25,
        n=sizes.gc,
        note=note,
    )


# --- row 5: gc --dry-run with 100 tombstones vs 1 -------------------------------------------


def make_tombstones(sb: Sandbox, home: Path, count: int, template: Path, tag: str) -> None:
    """`count` registered tombstones of small environments, through venvshim's own code."""
    sys.path.insert(0, str(REPO / "shim"))
    from venvshim.intercept import envstate, swap
    from venvshim.state import StateRoot

    state = StateRoot(home)
    for i in range(count):
        project = sb.root / "tomb-projects" / f"{tag}-{i:03d}"
        project.mkdir(parents=True)
        shutil.copytree(template, project / ".venv", symlinks=True)
        swap.tombstone(envstate.classify(project / ".venv"), state=state, env=sb.shim_env)
    if len(registry_records(home)) != count:
        raise BenchError(f"made {len(registry_records(home))} tombstones in {home}, not {count}")


def row_dry_run(sb: Sandbox, sizes: Sizes) -> Row:
    template = sb.root / "tiny-venv"
    run_ok([sb.plain_uv, "venv", "-p", SWITCH_FROM, template], env=sb.plain_env, cwd=sb.root)
    homes = {1: sb.root / "state-1", 100: sb.root / "state-100"}
    for count, home in homes.items():
        make_tombstones(sb, home, count, template, f"t{count}")

    def dry(count: int) -> Callable[[], float]:
        env = sb.env_with(sb.plain_env, VENVSHIM_HOME=str(homes[count]))
        log = sb.log(f"5-dry-{count}")

        def go() -> float:
            return run_timed([*sb.cli, "gc", "--dry-run"], env=env, cwd=sb.root, log=log).seconds

        return go

    one, hundred = dry(1), dry(100)
    for _ in range(2):
        one()
        hundred()
    said = sb.log("5-dry-100").read_text()
    if "Would remove 100 tombstones" not in said:
        raise BenchError(f"gc --dry-run with 100 tombstones did not list them all: {said[-300:]}")
    t1, t100 = interleaved(sizes.dry, one, hundred)
    return Row(
        "5",
        "venvshim gc --dry-run: 100 tombstones vs 1",
        base=med(t1),
        shim=med(t100),
        target=2.0,
        n=sizes.dry,
        note=f"plain = 1 tombstone, shim = 100; spread {spread(t1)}, {spread(t100)}",
    )


# --- row 6: the shell prompt hook -------------------------------------------------------------


class PtyShell(ptyshell.PtyShell):
    """An interactive shell on a pseudo-terminal whose prompt contains PROMPT.

    Each measured command is `echo VS''<n>K`: its output `VS<n>K` never appears in the terminal's
    echo of the typed line, so the prompt that follows it is told apart from a late repaint of
    an earlier prompt (fish repaints now and then).
    """

    def _wait(self, done: Callable[[bytes], bool], timeout: float) -> None:
        try:
            self.read_until(done, timeout)
        except ptyshell.PtyError as exc:
            raise BenchError(str(exc)) from exc

    def start(self) -> None:
        self._wait(lambda out: PROMPT in out, 20.0)

    def prompt(self) -> float:
        """Run a trivial command; seconds until the prompt after its output is drawn."""
        self.count += 1
        token = b"VS%dK" % self.count

        def done(out: bytes) -> bool:
            at = out.find(token)
            return at >= 0 and out.find(PROMPT, at) >= 0

        self.output = b""
        t0 = time.perf_counter()
        self.write(b"echo VS''%dK\n" % self.count)
        self._wait(done, 10.0)
        return time.perf_counter() - t0


def shell_argv(
    shell: str, exe: str, hook: Path | None, conf: Path
) -> tuple[list[str], dict[str, str]]:
    """How to start `shell` interactively with the PROMPT marker and, if given, the hook."""
    source = ""
    if hook is not None:
        # A hook that sets PS1 when sourced keeps its prompt, with the marker put back at the end.
        marker = PROMPT.decode()
        source = (
            f". {shlex.quote(str(hook))}\n"
            f"case $PS1 in *'{marker}'*) ;; *) PS1=\"$PS1{marker}\" ;; esac\n"
        )
    if shell == "bash":
        rc = conf / "bashrc"
        rc.write_text(f"unset HISTFILE\nPS1='{PROMPT.decode()}'\nPS2=''\n{source}")
        return [exe, "--noprofile", "--rcfile", str(rc), "-i"], {}
    if shell == "zsh":
        (conf / ".zshrc").write_text(
            f"unset HISTFILE\nunsetopt PROMPT_SP\nPROMPT='{PROMPT.decode()}'\nPS2=''\n{source}"
        )
        return [exe, "-i"], {"ZDOTDIR": str(conf)}
    init = f"function fish_prompt; printf '%s' '{PROMPT.decode()}'; end\n"
    if hook is not None:
        init += f"source {shlex.quote(str(hook))}\n"
    return [exe, "--private", "-i", "-C", init], {"XDG_CONFIG_HOME": str(conf)}


def rows_prompt(sb: Sandbox, sizes: Sizes, hooks_dir: Path) -> list[Row]:
    rows: list[Row] = []
    project = sb.root / "projects" / "healthy"
    if not (project / ".venv").is_dir():
        project = sb.make_project("prompt")
        sb.plain_sync(project, SWITCH_FROM)
    for key, shell in (("6a", "bash"), ("6b", "zsh"), ("6c", "fish")):
        what = f"{shell} prompt with hook vs without"
        hook = hooks_dir / f"venvshim.{shell}"
        exe = shutil.which(shell)
        if not hook.is_file():
            rows.append(Row(key, what, status="n/a (no hook yet)", target=1.05))
            continue
        if exe is None:
            rows.append(Row(key, what, status=f"n/a ({shell} not installed)", target=1.05))
            continue
        env = sb.env_with(sb.shim_env, TERM="dumb", SHELL=exe)
        tp: list[float] = []
        th: list[float] = []
        try:
            # Several fresh pairs of shells: two given processes differ by a few percent for
            # reasons of their own (layout, CPU), which one pair would report as the hook's cost.
            for pair in range(PROMPT_PAIRS):
                shells: list[PtyShell] = []
                try:
                    for name, h in (("plain", None), ("hook", hook)):
                        conf = sb.root / f"shellconf-{shell}-{name}-{pair}"
                        conf.mkdir()
                        argv, extra = shell_argv(shell, exe, h, conf)
                        sh = PtyShell(argv, {**env, **extra}, project)
                        shells.append(sh)
                        sh.start()
                    plain_sh, hook_sh = shells
                    for _ in range(10):
                        plain_sh.prompt()
                        hook_sh.prompt()
                    p_times, h_times = interleaved(
                        max(1, sizes.prompts // PROMPT_PAIRS), plain_sh.prompt, hook_sh.prompt
                    )
                    tp.extend(p_times)
                    th.extend(h_times)
                finally:
                    for sh in shells:
                        sh.close()
        except BenchError as exc:
            rows.append(Row(key, what, status="ERROR", target=1.05, note=str(exc)[:600]))
            continue
        rows.append(
            Row(
                key,
                what,
                base=med(tp),
                shim=med(th),
                target=1.05,
                n=len(tp),
                note=f"{PROMPT_PAIRS} pairs of shells; per prompt (`echo` + redraw) in a project "
                f"with a .venv: the hook adds {(med(th) - med(tp)) * 1e6:.0f} us; "
                f"spread {spread(tp)}, {spread(th)}",
            )
        )
    return rows


# --- row 7: peak memory of the shim on an intercepted no-op ----------------------------------


MAXRSS_C = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) { execv(argv[2], argv + 2); _exit(127); }
    int status; struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return 125;
    FILE *out = fopen(argv[1], "w");
    if (!out) return 125;
    fprintf(out, "%ld\n", ru.ru_maxrss);
    fclose(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
"""


def maxrss_spawner(sb: Sandbox) -> tuple[list[str], str]:
    """A small parent to start the measured command from: argv prefix (+ output file), name.

    A child forked (or vforked) by this big benchmark process starts with the benchmark's RSS,
    and Linux keeps that high-water mark across exec, so `os.wait4` here would report at least
    the benchmark's own size. The child's wait4 rusage is read by a small parent instead:
    GNU time, else a 20-line C helper compiled with cc.
    """
    out = sb.root / "maxrss.out"
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [gnu_time, "-f", "%M", "-o", str(out), "/bin/true"],
                check=True,
                capture_output=True,
                timeout=10,
            )
            int(out.read_text().split()[-1])
            return [gnu_time, "-f", "%M", "-o", str(out)], "GNU time"
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc:
        src = sb.root / "maxrss.c"
        src.write_text(MAXRSS_C)
        exe = sb.root / "maxrss"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([cc, "-O2", "-o", str(exe), str(src)], check=True, capture_output=True)
            return [str(exe), str(out)], "a C helper (wait4)"
    raise BenchError("needs GNU time (/usr/bin/time) or a C compiler to read an unbiased max RSS")


def row_memory(sb: Sandbox, sizes: Sizes) -> Row:
    project = sb.make_project("memory")
    sb.plain_sync(project, SWITCH_FROM)
    prefix, how = maxrss_spawner(sb)
    out = Path(prefix[-1])
    env = sb.env_with(sb.shim_env, VENVSHIM_REAL_UV=str(sb.wrapper))
    time.sleep(RACY_WAIT)  # the wrapper, project and env must be older than the racy window
    for _ in range(3):  # warm the shim's cache through the wrapper (it runs the real uv then)
        run_timed([sb.shim_uv, "sync"], env=env, cwd=project, log=sb.log("7-warm"))
    stop_log = sb.root / "bench-stop.log"
    stop_env = sb.env_with(env, BENCH_STOP="1", BENCH_STOP_LOG=str(stop_log))

    def maxrss(argv: list[str | os.PathLike[str]], env: dict[str, str], log: Path) -> float:
        out.unlink(missing_ok=True)
        run_timed([*prefix, *argv], env=env, cwd=project, log=log)
        return float(out.read_text().split()[-1])

    def shim() -> float:
        return maxrss([sb.shim_uv, "sync"], stop_env, sb.log("7-shim"))

    def bare() -> float:
        return maxrss([sb.shim_python, "-I", "-S", "-c", "pass"], sb.plain_env, sb.log("7-bare"))

    rss_shim, rss_py = interleaved(sizes.mem, shim, bare)
    floor = maxrss(["/bin/true"], sb.plain_env, sb.log("7-floor"))
    calls = stop_log.read_text().splitlines() if stop_log.exists() else []
    dry = sum("--dry-run" in c for c in calls)
    note = (
        f"bare = {sb.shim_python} -I -S -c pass; the shim's uv is a stub exiting at once; "
        f"read by {how} (/bin/true reads {floor / 1024:.1f} MB)"
    )
    if len(calls) != sizes.mem:
        note += f"; WARNING: the stub uv ran {len(calls)} times for {sizes.mem} shim runs"
    if dry:
        note += f"; WARNING: {dry} cache misses (the shim ran `uv sync --dry-run`)"
    else:
        note += "; no shim run asked uv (`--dry-run`): all cached verdicts"
    return Row(
        "7",
        "max RSS: shim `uv sync` (no-op) vs python -I -S",
        base=med(rss_py),
        shim=med(rss_shim),
        unit="MB",
        target=1.5,
        n=sizes.mem,
        note=note,
    )


# --- reference: pyenv's bash shim -------------------------------------------------------------


def row_pyenv(sb: Sandbox, sizes: Sizes) -> Row | None:
    root = tools.pyenv_root()
    shim = root / "shims" / "python3"
    pyenv = root / "libexec" / "pyenv"
    if not shim.is_file() or not pyenv.is_file():
        return None
    env = {
        "PATH": f"{root / 'shims'}:{root / 'bin'}:/usr/bin:/bin",
        "HOME": str(Path.home()),
        "PYENV_ROOT": str(root),
        "LANG": "C.UTF-8",
    }
    try:
        real = run_ok([pyenv, "which", "python3"], env=env, cwd=sb.root).stdout.strip()
    except BenchError as exc:
        return Row("ref", "pyenv shim python3 -c pass", status="n/a", note=str(exc)[:300])

    def via_shim() -> float:
        return run_timed([shim, "-c", "pass"], env=env, cwd=sb.root).seconds

    def direct() -> float:
        return run_timed([real, "-c", "pass"], env=env, cwd=sb.root).seconds

    for _ in range(2):
        via_shim()
        direct()
    td, ts = interleaved(sizes.pyenv, direct, via_shim)
    return Row(
        "ref",
        "pyenv shim: python3 -c pass vs the binary",
        base=med(td),
        shim=med(ts),
        n=sizes.pyenv,
        note=f"for reference only: {shim} vs {real}; "
        f"overhead {(med(ts) - med(td)) * 1000:.0f} ms per call",
    )


# --- main -----------------------------------------------------------------------------------


def describe_machine(sb: Sandbox) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (about 40 s)")
    parser.add_argument(
        "--copies",
        action="store_true",
        help="rows 3-4: fill envs with new files (cp -a), not hard links (slow)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--only", help="comma-separated rows to run, e.g. 1,2,7 (and ref)")
    parser.add_argument(
        "--hooks-dir",
        type=Path,
        default=REPO / "hooks",
        help="where venvshim.{bash,zsh,fish} are (default: hooks/)",
    )
    args = parser.parse_args(argv)
    sizes = Sizes(args.quick, args.copies)
    only = set(args.only.split(",")) if args.only else None

    def wanted(row: str) -> bool:
        return only is None or row in only

    rows: list[Row] = []
    started = time.perf_counter()
    with sandbox_dir(args.keep) as root:
        try:
            sb = Sandbox(root)
        except BenchError as exc:
            print(f"error: cannot set up the benchmark: {exc}", file=sys.stderr)
            return 2
        describe_machine(sb)
        template: Path | None = None

        def fake_template() -> Path:
            nonlocal template
            if template is None:
                template = root / "fake-template"
                make_fake_package(template)
            return template

        steps: list[tuple[str, str, Callable[[], list[Row]]]] = [
            ("1", "1-2", lambda: rows_fast(sb, sizes)),
            ("3", "3", lambda: [row_switch(sb, sizes, fake_template())]),
            ("4", "4", lambda: [row_gc(sb, sizes, fake_template())]),
            ("5", "5", lambda: [row_dry_run(sb, sizes)]),
            ("6", "6", lambda: rows_prompt(sb, sizes, args.hooks_dir)),
            ("7", "7", lambda: [row_memory(sb, sizes)]),
            ("ref", "ref", lambda: [r for r in [row_pyenv(sb, sizes)] if r is not None]),
        ]
        for key, label, step in steps:
            if not (wanted(key) or (key == "1" and wanted("2"))):
                continue
            t0 = time.perf_counter()
            print(f"running row {label} ...", flush=True)
            try:
                got = step()
            except BenchError as exc:
                got = [Row(label, "(could not be measured)", status="ERROR", note=str(exc)[:1500])]
            except (OSError, subprocess.SubprocessError, ImportError, TypeError, ValueError) as exc:
                # e.g. venvshim's internal API changed under row 5: report it, run the rest
                detail = f"{type(exc).__name__}: {exc}"
                got = [Row(label, "(could not be measured)", status="ERROR", note=detail[:1500])]
            if key == "1" and only is not None:
                got = [r for r in got if r.key[0] in only]
            rows += got
            print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
        print()
        print_table(rows)
    failed = [r.key for r in rows if r.failed]
    print()
    print(
        f"total {time.perf_counter() - started:.0f} s; "
        + (
            f"missed or not measured: {', '.join(failed)}"
            if failed
            else "every measured target met"
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
