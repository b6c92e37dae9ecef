"""The Python half of the shim: decide, then hand over to the real uv.

Kept light: until it is known that this command may replace an environment, only os, sys and
the standard-library-only `uvargs`, `decision` and `errors` are loaded; the platform seam, pathlib
and the rest come after uv's dry-run has been started.
"""

from __future__ import annotations

import os
import sys

from . import decision, uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

BYPASS = "`VENVSHIM_DISABLE=1 uv …` runs uv without venvshim"


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """argv: REAL_UV SHIM_PATH PWD UV_ARGS... (as the front ends, uv.sh and uv.exe, pass them)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    real_uv, _shim, pwd, args = argv[0], argv[1], argv[2], argv[3:]
    env = os.environ
    inv = uvargs.parse(args)
    if env.get("VENVSHIM_DISABLE") == "1" or not decision.in_scope(inv, env):
        from ..platform import impl

        impl.exec_uv(real_uv, args)
    cwd = os.getcwd()
    early = None
    if decision.asks_uv(inv, env) and uvargs.run_script_path(inv, cwd) is None:
        # Start uv's dry-run now, so that it runs while Python imports the rest (~20 ms each,
        # on two cores side by side); the decision uses it or stops it. Not for `uv run x.py`:
        # where uv looks for its project then depends on uv's release, not yet known here.
        from ..platform import impl

        dry_run = [real_uv, *decision.dry_run_argv(inv, cwd=cwd, env=env)]
        early = impl.spawn_stderr_reader(dry_run, env=decision.dry_run_env(env))
    from pathlib import Path  # with everything below: after the dry-run has started

    from ..errors import boundary
    from ..platform import impl
    from . import handover

    def intercept() -> int:
        handover.intercept(real_uv, args, inv, cwd=Path(cwd), env=env, pwd=pwd, early=early)

    impl.exit_like(boundary(intercept, bypass=BYPASS))
