"""Cached "keep" verdicts that the sh front end checks without starting Python.

Starting Python costs more than a no-op `uv sync` itself (~13 ms of interpreter, ~20 ms of
imports, against ~15 ms), so an unchanged, healthy environment must be recognised by `sh` alone.
Per working directory, `$VENVSHIM_HOME/fast$PWD/.venvshim-fast.sh` holds one entry per argv
(plus one generic entry for `uv run <command>` without options). `sh` sources it; an entry sets
`vs_fast=1` when, and only when:
  * the argv is the one the verdict was made for (joined with \\037, a byte no argv here holds);
  * the real uv found is the same file, unchanged;
  * every decision-relevant environment variable has the same value (or is still unset);
  * every watched file that was absent is still absent, and every present one still has the very
    mtime it had (a per-entry stamp file carries that mtime: `! [ f -nt s ] && ! [ f -ot s ]`,
    both test builtins). An edit gives a newer mtime; a file renamed over it (`mv`, `cp -p`) an
    other one; a deleted one fails `-e`.
Anything else falls through to Python, which decides properly and rewrites the entry.
Entries are only written when every watched file is older than verdicts.RACY_SECONDS.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

from .decision import DECISION_ENV
from .verdicts import RACY_SECONDS, sha256_hex

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SEP = "\x1f"
FILE = ".venvshim-fast.sh"
MAX_ENTRIES = 8

# Variables that can change uv's env decision. The Python cache keys on every UV_* variable;
# the sh check covers this list (set or unset), which is every such variable uv 0.13 reads.
FAST_ENV = (
    *DECISION_ENV,
    "UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "UV_PROJECT", "UV_NO_PROJECT", "UV_WORKING_DIR",
    "UV_WORKING_DIRECTORY", "UV_ISOLATED", "UV_NO_SYNC", "UV_FROZEN", "UV_PYTHON_PREFERENCE",
    "UV_MANAGED_PYTHON", "UV_NO_MANAGED_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_PYTHON_INSTALL_DIR",
    "UV_PYTHON_SEARCH_PATH", "UV_SYSTEM_PYTHON", "UV_CONFIG_FILE", "UV_NO_CONFIG",
    "UV_NO_SYSTEM_CONFIG", "UV_PREVIEW", "UV_PREVIEW_FEATURES", "UV_CACHE_DIR", "UV_NO_CACHE",
    "UV_VENV_CLEAR", "UV_LIBC", "UV_ACTIVE",
)  # fmt: skip


def fast_dir(home: Path, pwd: str) -> Path:
    return Path(str(home) + "/fast" + pwd)


def generic_run_pattern(argv: Sequence[str]) -> bool:
    """`uv run CMD ...` with no uv option and no script: the verdict does not depend on CMD."""
    return (
        len(argv) >= 2
        and argv[0] == "run"
        and not argv[1].startswith("-")
        and not any("/" in a or ".py" in a for a in argv)
    )


def _q(text: str) -> str:
    return shlex.quote(text) if text else "''"


def _entry_sh(entry: dict[str, object], stamps: Path) -> str:
    checks: list[str] = [f'[ "$vs_real" = {_q(str(entry["uv"]))} ]']
    env = entry["env"]
    assert isinstance(env, dict)
    for name in FAST_ENV:
        value = env.get(name)
        if value is None:
            checks.append(f'[ -z "${{{name}+x}}" ]')
        else:
            checks.append(f'[ "${{{name}+x}}" = x ] && [ "${name}" = {_q(value)} ]')
    files = entry["files"]
    assert isinstance(files, list)
    for index, (path, present) in enumerate(files):
        qpath = _q(path)
        if present:
            stamp = _q(str(stamps / f"{entry['id']}-{index}"))
            checks.append(
                f"[ -e {qpath} ] && ! [ {qpath} -nt {stamp} ] && ! [ {qpath} -ot {stamp} ]"
            )
        else:
            checks.append(f"! [ -e {qpath} ] && ! [ -L {qpath} ]")
    pattern = _q(SEP.join(entry["argv"]))  # type: ignore[arg-type]
    if entry["generic_run"]:
        # `run` + a command word; anything with a path or .py goes to Python (script discovery).
        pattern = f"run{SEP}[!-]*"
        guard = f'case $vs_argv in *"/"*|*".py"*) ;; *) {" && ".join(checks)} && vs_fast=1 ;; esac'
        return f"  {pattern})\n    {guard} ;;\n"
    return f"  {pattern})\n    {' && '.join(checks)} && vs_fast=1 ;;\n"


def record_keep(
    home: Path,
    *,
    pwd: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    real_uv: str,
    watched: Sequence[Path],
) -> bool:
    """Remember that `uv ARGV` in `pwd` keeps its env while nothing watched changes."""
    if any(SEP in a or "\n" in a for a in argv) or not pwd.startswith("/"):
        return False
    now = time.time()
    files: list[tuple[str, bool]] = []
    mtimes: list[int] = []
    for path in dict.fromkeys([real_uv, *map(str, watched)]):
        try:
            st = os.stat(path)
        except OSError:
            files.append((path, False))
            mtimes.append(0)
            continue
        if now - st.st_mtime < RACY_SECONDS:
            return False
        files.append((path, True))
        mtimes.append(st.st_mtime_ns)
    generic = generic_run_pattern(argv)
    key_argv = ["run", "*"] if generic else list(argv)
    entry_id = sha256_hex(json.dumps([key_argv, real_uv]).encode("utf-8", "surrogateescape"))
    entry = {
        "id": entry_id[:16],
        "argv": key_argv,
        "generic_run": generic,
        "uv": real_uv,
        "env": {k: env[k] for k in FAST_ENV if k in env},
        "files": files,
        "created": now,
    }
    directory = fast_dir(home, pwd)
    stamps = directory / ".stamps"
    stamps.mkdir(parents=True, exist_ok=True)
    index_file = directory / ".venvshim-fast.json"
    try:
        entries = json.loads(index_file.read_text(encoding="utf-8"))
        assert isinstance(entries, list)
    except (OSError, ValueError, AssertionError):
        entries = []
    entries = [e for e in entries if e.get("id") != entry["id"]][-(MAX_ENTRIES - 1) :]
    for old in {p.name.split("-")[0] for p in stamps.iterdir()} - {e["id"] for e in entries}:
        for stale in stamps.glob(f"{old}-*"):
            stale.unlink(missing_ok=True)
    for index, ((_path, present), mtime) in enumerate(zip(files, mtimes)):
        if present:
            stamp = stamps / f"{entry['id']}-{index}"
            stamp.touch()
            os.utime(stamp, ns=(mtime, mtime))
    entries.append(entry)
    from ..state import write_atomic

    write_atomic(index_file, json.dumps(entries))
    body = "".join(_entry_sh(e, stamps) for e in entries)
    write_atomic(
        directory / FILE,
        f"# generated by venvshim: fast verdicts for {pwd}\ncase $vs_argv in\n{body}esac\n",
    )
    return True
