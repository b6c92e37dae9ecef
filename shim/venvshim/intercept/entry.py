"""The Python half of the shim: decide, then hand over to the real uv.

Kept light: only os, sys and the standard-library-only `uvargs` load before it is known that
this command may replace an environment; the rest is imported on that path alone.
"""

from __future__ import annotations

import os
import sys

from ..errors import VenvshimError
from ..platform import impl
from . import uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import NoReturn


def _log_crash() -> Path | None:
    import traceback

    from ..state import StateRoot

    try:
        logs = StateRoot.from_env(os.environ).logs
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / "crash.log"
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"--- pid {os.getpid()} argv {sys.argv!r}\n{traceback.format_exc()}\n")
        return log
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """argv: REAL_UV SHIM_PATH PWD UV_ARGS... (as the front ends, uv.sh and uv.exe, pass them)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    real_uv, _shim, pwd, args = argv[0], argv[1], argv[2], argv[3:]
    env = os.environ
    inv = uvargs.parse(args)
    if env.get("VENVSHIM_DISABLE") == "1" or not uvargs.may_replace_env(inv, env):
        impl.exec_uv(real_uv, args)
    cwd = os.getcwd()
    early = None
    if uvargs.asks_uv(inv, env):
        # Start uv's dry-run now, so that it runs while Python imports the rest (~20 ms each,
        # on two cores side by side); swap.intercept uses it or stops it.
        project = uvargs.script_project(inv, cwd=cwd, env=env)
        argv = [real_uv, *uvargs.dry_run_args(inv, script_project=project)]
        early = impl.spawn_stderr_reader(argv, env=uvargs.dry_run_env(env))
    from pathlib import Path  # with everything below: after the dry-run has started

    from . import swap

    try:
        swap.intercept(real_uv, args, inv, cwd=Path(cwd), env=env, pwd=pwd, early=early)
    except VenvshimError as exc:
        exc.report()
        impl.exit_like(1)
    except KeyboardInterrupt:
        impl.exit_like(130)
    except Exception:
        log = _log_crash()
        if swap.swapped:
            print(f"error: venvshim: internal error; details in {log}", file=sys.stderr)
            impl.exit_like(3)
        # Nothing was moved yet: run uv as if venvshim were not there.
        print(
            f"warning: venvshim: internal error, running uv directly; details in {log}",
            file=sys.stderr,
        )
        impl.exec_uv(real_uv, args)
    raise AssertionError("unreachable")  # intercept always execs or exits
