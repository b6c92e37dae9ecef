"""Where uv keeps tools: its answer to `uv tool dir` and `uv tool dir --bin`, asked once and
remembered (like uvfacts.py) under the uv binary's `stat` and everything the answer depends on:
UV_TOOL_DIR, UV_TOOL_BIN_DIR, the XDG/HOME/APPDATA variables, the directory uv works in (relative
values are resolved against it), and on macOS and Windows whether uv's legacy data directory
exists (crates/uv-tool/src/lib.rs `InstalledTools::from_settings`, crates/uv-dirs). Asking uv
rather than recomputing its rules keeps a future uv that moves them right.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ..errors import VenvshimError
from . import uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .uvargs import Invocation

CACHE_FILE = "tool-dirs.json"
DEPENDS_ON = (
    "UV_TOOL_DIR", "UV_TOOL_BIN_DIR", "XDG_DATA_HOME", "XDG_BIN_HOME", "HOME", "APPDATA",
    "USERPROFILE", "LOCALAPPDATA",
)  # fmt: skip


def _legacy_dir(env: Mapping[str, str]) -> str | None:
    """uv's pre-XDG data directory, used for tools when it exists (macOS, Windows only)."""
    if sys.platform == "darwin":
        return os.path.join(env.get("HOME", "~"), "Library", "Application Support", "uv")
    if sys.platform == "win32" and env.get("APPDATA"):
        return os.path.join(env["APPDATA"], "uv", "data")
    return None


def _key(real_uv: str, work: str, env: Mapping[str, str]) -> str | None:
    from .verdicts import sha256_hex

    try:
        st = os.stat(real_uv)
    except OSError:
        return None
    legacy = _legacy_dir(env)
    parts = [
        real_uv, [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns], work,
        {k: env.get(k) for k in DEPENDS_ON}, legacy is not None and os.path.isdir(legacy),
    ]  # fmt: skip
    return sha256_hex(json.dumps(parts).encode("utf-8", "surrogateescape"))[:32]


def _ask(real_uv: str, work: str, env: Mapping[str, str]) -> tuple[str, str]:
    import subprocess

    child_env = {**env, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [real_uv, "tool", "dir", *extra],
            cwd=work,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for extra in ([], ["--bin"])
    ]
    answers: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        text = out.decode("utf-8", "surrogateescape").strip()
        if proc.returncode != 0 or not text or "\n" in text:
            raise VenvshimError(
                f"`uv tool dir` did not say where uv keeps its tools (exit {proc.returncode}): "
                f"{err.decode(errors='replace').strip()[:300]}",
                hint="venvshim protects tools only where uv says they are; "
                "run with VENVSHIM_DISABLE=1 to let uv work without it",
            )
        answers.append(os.path.normpath(os.path.join(work, text)))
    return answers[0], answers[1]


def tool_dirs(
    real_uv: str, inv: Invocation, *, cwd: str, env: Mapping[str, str], cache_dir: Path
) -> tuple[Path, Path]:
    """(tool dir, bin dir), absolute, as uv will use them for this command."""
    work = uvargs.working_dir(inv, cwd=cwd, env=env)
    key = _key(real_uv, work, env)
    cache = cache_dir / CACHE_FILE
    known: dict[str, object] = {}
    try:
        loaded = json.loads(cache.read_text(encoding="utf-8"))
        known = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(key) if key is not None else None
    if isinstance(entry, list) and len(entry) == 2 and all(isinstance(p, str) for p in entry):
        return Path(entry[0]), Path(entry[1])
    tool_dir, bin_dir = _ask(real_uv, work, env)
    if key is not None:
        from ..state import write_atomic

        known = dict(list(known.items())[-31:])
        known[key] = [tool_dir, bin_dir]
        try:
            write_atomic(cache, json.dumps(known))
        except OSError:
            pass  # a cache: asking again next time is fine
    return Path(tool_dir), Path(bin_dir)
