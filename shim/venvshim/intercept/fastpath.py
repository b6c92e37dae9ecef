"""Cached "keep" verdicts that the sh front end checks without starting Python.

Starting Python costs more than a no-op `uv sync` itself (~13 ms of interpreter, ~20 ms of
imports, against ~15 ms), so an unchanged, healthy environment must be recognised by `sh` alone.
Per working directory, `$VENVSHIM_HOME/fast$PWD/.venvshim-fast-v2.sh` holds one entry per argv
(plus one generic entry for `uv run <command>` without options). `sh` sources it, only when it
and the state root are the user's own and it is not a link (uv.sh); an entry sets `vs_fast=1`
when, and only when:
  * the argv is the one the verdict was made for (joined with \\037, a byte no argv here holds);
  * the shell's working directory is the very directory the verdict was made in (`-ef`: same
    device and inode, however $PWD reached it);
  * the real uv found is the same file, unchanged;
  * every decision-relevant environment variable has the same value (or is still unset);
  * every watched file that was absent is still absent, and every present one still has the very
    mtime it had (a per-entry stamp file carries that mtime: `! [ f -nt s ] && ! [ f -ot s ]`,
    both test builtins). An edit gives a newer mtime; a file renamed over it (`mv`, `cp -p`) an
    other one; a deleted one fails `-e`.
Anything else falls through to Python, which decides properly and rewrites the entry.

Paths, argv and environment values are data, whatever bytes they hold: the file is written as
bytes and every datum in it is one single-quoted sh word (`quote`: inside single quotes sh gives
no byte a meaning, newlines and `$(...)` included, and a quote is closed, escaped and reopened).
Nothing else from outside venvshim goes into the file, not even into a comment.
Entries are only written when every watched file is older than verdicts.RACY_SECONDS.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..state import FAST, read_private, write_atomic
from .decision import DECISION_ENV
from .verdicts import RACY_SECONDS, sha256_hex

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SEP = "\x1f"
# v2: a verdict also means "no dist removed" (it watches site-packages and uv.lock). The name
# changed so that no front end ever sources a v1 file, whose entries do not watch those.
FILE = ".venvshim-fast-v2.sh"
INDEX = ".venvshim-fast-v2.json"
LEGACY = (".venvshim-fast.sh", ".venvshim-fast.json")
MAX_ENTRIES = 8

# Variables that can change uv's env decision, or which dists it removes. The Python cache keys
# on every UV_* variable; the sh check covers this list (set or unset), which is every such
# variable uv 0.13 reads.
FAST_ENV = (
    *DECISION_ENV,
    "UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "UV_PROJECT", "UV_NO_PROJECT", "UV_WORKING_DIR",
    "UV_WORKING_DIRECTORY", "UV_ISOLATED", "UV_NO_SYNC", "UV_FROZEN", "UV_PYTHON_PREFERENCE",
    "UV_MANAGED_PYTHON", "UV_NO_MANAGED_PYTHON", "UV_PYTHON_DOWNLOADS", "UV_PYTHON_INSTALL_DIR",
    "UV_PYTHON_SEARCH_PATH", "UV_SYSTEM_PYTHON", "UV_CONFIG_FILE", "UV_NO_CONFIG",
    "UV_NO_SYSTEM_CONFIG", "UV_PREVIEW", "UV_PREVIEW_FEATURES", "UV_CACHE_DIR", "UV_NO_CACHE",
    "UV_VENV_CLEAR", "UV_LIBC", "UV_ACTIVE",
    "UV_CONSTRAINT", "UV_OVERRIDE", "UV_EXCLUDE", "UV_BUILD_CONSTRAINT", "UV_PRERELEASE",
    "UV_RESOLUTION", "UV_EXCLUDE_NEWER", "UV_TORCH_BACKEND", "UV_NO_DEV", "UV_DEV",
    "UV_NO_GROUP", "UV_NO_DEFAULT_GROUPS", "UV_NO_EDITABLE", "UV_NO_INSTALL_PROJECT",
    "UV_NO_INSTALL_WORKSPACE", "UV_NO_INSTALL_LOCAL", "UV_ONLY_INSTALL_PROJECT",
    "UV_ONLY_INSTALL_WORKSPACE", "UV_ONLY_INSTALL_LOCAL", "UV_LOCKED", "UV_NO_BINARY",
    "UV_NO_BINARY_PACKAGE", "UV_NO_BUILD", "UV_NO_BUILD_PACKAGE", "UV_NO_SOURCES",
    "UV_NO_SOURCES_PACKAGE", "UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_NO_INDEX", "UV_REQUIRE_HASHES",
    "UV_BREAK_SYSTEM_PACKAGES", "UV_OFFLINE",
)  # fmt: skip


def fast_dir(home: Path, pwd: str) -> Path:
    return Path(os.fsdecode(os.fsencode(str(home / FAST)) + os.fsencode(pwd)))


def quote(text: str) -> bytes:
    """One sh word meaning exactly `text`'s bytes (`text` holds no NUL: argv and paths can't)."""
    raw = os.fsencode(text)
    if b"\0" in raw:
        raise ValueError("a NUL byte cannot be passed to sh")
    return b"'" + raw.replace(b"'", b"'\\''") + b"'"


def generic_run_pattern(argv: Sequence[str]) -> bool:
    """`uv run CMD ...` with no uv option and no script: the verdict does not depend on CMD."""
    return (
        len(argv) >= 2
        and argv[0] == "run"
        and not argv[1].startswith("-")
        and not any("/" in a or ".py" in a for a in argv)
    )


def _entry_sh(entry: dict[str, object], stamps: Path) -> bytes:
    checks: list[bytes] = [
        b"[ . -ef " + quote(str(entry["cwd"])) + b" ]",
        b'[ "$vs_real" = ' + quote(str(entry["uv"])) + b" ]",
    ]
    env = entry["env"]
    assert isinstance(env, dict)
    for name in FAST_ENV:  # names are ours: identifiers, never data
        value = env.get(name)
        var = name.encode()
        if value is None:
            checks.append(b'[ -z "${' + var + b'+x}" ]')
        else:
            checks.append(
                b'[ "${' + var + b'+x}" = x ] && [ "$' + var + b'" = ' + quote(value) + b" ]"
            )
    files = entry["files"]
    assert isinstance(files, list)
    for index, (path, present) in enumerate(files):
        qpath = quote(path)
        if present:
            stamp = quote(str(stamps / f"{entry['id']}-{index}"))
            checks.append(
                b"[ -e " + qpath + b" ] && ! [ " + qpath + b" -nt " + stamp + b" ] && ! [ "
                + qpath + b" -ot " + stamp + b" ]"
            )  # fmt: skip
        else:
            checks.append(b"! [ -e " + qpath + b" ] && ! [ -L " + qpath + b" ]")
    test = b" && ".join(checks)
    if entry["generic_run"]:
        # `run` + a command word; anything with a path or .py goes to Python (script discovery).
        pattern = b"run" + SEP.encode() + b"[!-]*"
        guard = b'case $vs_argv in *"/"*|*".py"*) ;; *) ' + test + b" && vs_fast=1 ;; esac"
        return b"  " + pattern + b")\n    " + guard + b" ;;\n"
    argv = entry["argv"]
    assert isinstance(argv, list)
    return b"  " + quote(SEP.join(argv)) + b")\n    " + test + b" && vs_fast=1 ;;\n"


def record_keep(
    home: Path,
    *,
    pwd: str,
    cwd: Path,
    argv: Sequence[str],
    env: Mapping[str, str],
    real_uv: str,
    watched: Sequence[Path],
) -> bool:
    """Remember that `uv ARGV` in `pwd` (the shell's name for `cwd`) keeps its env while nothing
    watched changes. False when it cannot be said safely to sh (then Python decides)."""
    data = [*argv, pwd, str(cwd), real_uv, *env.values(), *map(str, watched)]
    if any(SEP in a or "\0" in a for a in data) or not pwd.startswith("/"):
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
        "cwd": str(cwd),
        "uv": real_uv,
        "env": {k: env[k] for k in FAST_ENV if k in env},
        "files": files,
        "created": now,
    }
    directory = fast_dir(home, pwd)
    stamps = directory / ".stamps"
    stamps.mkdir(parents=True, exist_ok=True, mode=0o700)
    for legacy in LEGACY:
        (directory / legacy).unlink(missing_ok=True)
    try:
        entries = json.loads(read_private(directory / INDEX) or b"[]")
        assert isinstance(entries, list) and all(isinstance(e, dict) for e in entries)
    except (ValueError, AssertionError):
        entries = []
    entries = [e for e in entries if e.get("id") != entry["id"]][-(MAX_ENTRIES - 1) :]
    for old in {p.name.split("-")[0] for p in stamps.iterdir()} - {e.get("id") for e in entries}:
        for stale in stamps.glob(f"{old}-*"):
            stale.unlink(missing_ok=True)
    for index, ((_path, present), mtime) in enumerate(zip(files, mtimes)):
        if present:
            stamp = stamps / f"{entry['id']}-{index}"
            stamp.touch(mode=0o600)
            os.utime(stamp, ns=(mtime, mtime))
    entries.append(entry)
    try:
        body = b"".join(_entry_sh(e, stamps) for e in entries)
    except (KeyError, TypeError, ValueError, AssertionError):
        body = _entry_sh(entry, stamps)  # an old index this version cannot render: start over
        entries = [entry]
    write_atomic(directory / INDEX, json.dumps(entries))
    header = b"# generated by venvshim (intercept/fastpath.py): cached keep verdicts\n"
    write_atomic(directory / FILE, header + b"case $vs_argv in\n" + body + b"esac\n")
    return True


# What the front end of this platform reads: uv.sh sources the file above, uv.exe (Windows)
# parses winverdicts' form. decision.py calls this name.
if sys.platform == "win32":
    from .winverdicts import record_keep as record_for_front_end
else:
    record_for_front_end = record_keep
