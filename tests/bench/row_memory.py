"""Row 7: peak RSS of the shim on an intercepted no-op `uv sync` vs `python -I -S -c pass`.

The shim is pointed at a stand-in "real uv" (`VENVSHIM_REAL_UV`: a `#!/bin/sh` that execs the
real uv, or exits 0 when `BENCH_STOP=1`), so uv's own memory is left out. Max RSS is read from
wait4 by a small parent (GNU time, or a C helper), never by the benchmark process itself.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.bench.harness import BenchError, Row, Sizes, interleaved, med, run_timed
from tests.bench.sandbox import SWITCH_FROM, Sandbox, age_past_racy_window

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


def uv_wrapper(sb: Sandbox) -> Path:
    """The stand-in for the real uv: execs it, or exits at once when BENCH_STOP=1."""
    wrapper = sb.root / "uvwrap" / "uv-wrapper"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "${BENCH_STOP-}" = 1 ]; then\n'
        '  [ -n "${BENCH_STOP_LOG-}" ] && printf \'%s\\n\' "$*" >> "$BENCH_STOP_LOG"\n'
        "  exit 0\n"
        "fi\n"
        f'exec {shlex.quote(str(sb.real_uv))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


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


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    project = sb.make_project("memory")
    sb.plain_sync(project, SWITCH_FROM)
    prefix, how = maxrss_spawner(sb)
    out = Path(prefix[-1])
    env = {**sb.shim_env, "VENVSHIM_REAL_UV": str(uv_wrapper(sb))}
    age_past_racy_window()  # the wrapper, project and env must be older than the racy window
    for _ in range(3):  # warm the shim's cache through the wrapper (it runs the real uv then)
        run_timed([sb.shim_uv, "sync"], env=env, cwd=project, log=sb.log("7-warm"))
    stop_log = sb.root / "bench-stop.log"
    stop_env = {**env, "BENCH_STOP": "1", "BENCH_STOP_LOG": str(stop_log)}

    def maxrss(argv: list[str | os.PathLike[str]], env: dict[str, str], log: Path) -> float:
        out.unlink(missing_ok=True)
        run_timed([*prefix, *argv], env=env, cwd=project, log=log)
        return float(out.read_text().split()[-1])

    def shim() -> float:
        return maxrss([sb.shim_uv, "sync"], stop_env, sb.log("7-shim"))

    def bare() -> float:
        return maxrss([sb.shim_python, "-I", "-S", "-c", "pass"], sb.plain_env, sb.log("7-bare"))

    n = sizes.pick(7, 21)
    rss_shim, rss_py = interleaved(n, shim, bare)
    floor = maxrss(["/bin/true"], sb.plain_env, sb.log("7-floor"))
    calls = stop_log.read_text().splitlines() if stop_log.exists() else []
    dry = sum("--dry-run" in c for c in calls)
    note = (
        f"bare = {sb.shim_python} -I -S -c pass; the shim's uv is a stub exiting at once; "
        f"read by {how} (/bin/true reads {floor / 1024:.1f} MB)"
    )
    if len(calls) != n:
        note += f"; WARNING: the stub uv ran {len(calls)} times for {n} shim runs"
    if dry:
        note += f"; WARNING: {dry} cache misses (the shim ran `uv sync --dry-run`)"
    else:
        note += "; no shim run asked uv (`--dry-run`): all cached verdicts"
    what = "max RSS: shim `uv sync` (no-op) vs python -I -S"
    return [
        Row("7", what, base=med(rss_py), shim=med(rss_shim), unit="MB", target=1.5, n=n, note=note)
    ]
