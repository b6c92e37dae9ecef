"""Commands with which a uv release deletes a directory that is not a virtual environment, the
user's own files: venvshim refuses them loudly rather than hand them over (promise 1, never
lose user data, comes before being invisible). Which releases do it is uvfacts' to say:
`uv venv --clear` on such a directory (0.8.0 until 0.12, which asks for `--force`), and
`uv run --active` of a script with inline metadata, which empties VIRTUAL_ENV (until 0.13.6).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import VenvshimError
from . import envstate, uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .uvargs import Invocation
    from .uvfacts import Facts


def refuse_data_loss(
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    facts: Facts,
    target: Path | None = None,
) -> None:
    """Raise when this uv would delete `target` (`uv venv --clear`), or the VIRTUAL_ENV of
    `uv run --active <inline script>`, and that directory is not a virtual environment."""
    active = uvargs.active_env(inv, env)
    if target is None and active is not None and facts.active_script_clears_foreign:
        work = uvargs.working_dir(inv, cwd=str(cwd), env=env, facts=facts)
        target = Path(work) / active
    if target is None or envstate.classify(target).kind != envstate.FOREIGN:
        return
    raise VenvshimError(
        f"{facts.label} would delete `{target}`, which is not a virtual environment: the files "
        "in it would be lost; venvshim stopped the command",
        hint="move or delete that directory yourself if you meant it to go, or name another "
        "path; newer uv releases refuse this themselves",
    )
