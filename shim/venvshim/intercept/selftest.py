"""Does venvshim understand this uv? Asked of the real thing, not of a version number.

In a throw-away project, with a throw-away state root, uv makes an environment; the decision
(decision.plan, exactly as the shim runs it) is then asked twice: about `uv sync` on that
environment as it is (uv keeps it) and after its interpreter link is broken (uv replaces it, in
every release). Each answer is "understood" when it came from uv's own words or from the
wording-free fallback, and "unsure" when the shim would have had to protect blindly. Nothing of
the user's is touched; the directory is removed afterwards. `venvshim doctor` reports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..state import StateRoot
from . import decision, uvargs, uvfacts

KEEP_REASONS = ("use", "same interpreter")
REPLACE_REASONS = ("replace", "other interpreter", "interpreter gone")


@dataclass
class SelfTest:
    label: str  # "uv 0.13.9"
    keep: str  # the Plan's reason for the healthy env, "" if it could not be asked
    replace: str  # ... for the broken one
    error: str = ""  # why the test could not run (no interpreter for uv to use, ...)

    @property
    def understood(self) -> bool:
        return self.keep in KEEP_REASONS and self.replace in REPLACE_REASONS

    @property
    def wording_free(self) -> bool:
        """Decided without reading uv's prose (a release without `sync --dry-run`, or one whose
        words venvshim does not know)."""
        return "interpreter" in self.keep + self.replace


def run(real_uv: str, env: Mapping[str, str]) -> SelfTest:
    facts = uvfacts.facts_for(real_uv, None)
    scratch = Path(tempfile.mkdtemp(prefix="venvshim-selftest-"))
    try:
        proj = scratch / "project"
        proj.mkdir()
        (proj / "pyproject.toml").write_text(
            '[project]\nname = "selftest"\nversion = "0"\nrequires-python = ">=3.8"\n'
            "dependencies = []\n[tool.uv]\npackage = false\n",
            encoding="utf-8",
        )
        child = {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
        child.update(
            {"UV_NO_PROGRESS": "1", "NO_COLOR": "1", "UV_CACHE_DIR": str(scratch / "cache")}
        )
        made = subprocess.run(
            [real_uv, "venv", "--quiet", ".venv"],
            cwd=proj, env=child, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        if made.returncode != 0:
            return SelfTest(facts.label, "", "", error=_last(made.stderr) or "uv venv failed")
        state = StateRoot(scratch / "state").ensure()
        inv = uvargs.parse(["sync", "--offline"])
        keep = decision.plan(real_uv, inv, cwd=proj, env=child, state=state, facts=facts)
        _break_interpreter(proj / ".venv")
        replace = decision.plan(real_uv, inv, cwd=proj, env=child, state=state, facts=facts)
        return SelfTest(facts.label, keep.reason, replace.reason)
    except (OSError, subprocess.SubprocessError) as exc:
        return SelfTest(facts.label, "", "", error=str(exc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _break_interpreter(venv: Path) -> None:
    """What every uv release replaces: POSIX, a `bin/python` link to nothing; Windows, a
    `pyvenv.cfg` naming another interpreter version than its `python.exe`."""
    if sys.platform == "win32":
        cfg = venv / "pyvenv.cfg"
        lines = cfg.read_text(encoding="utf-8").splitlines()
        cfg.write_text(
            "\n".join(
                "version_info = 2.7.0" if ln.startswith("version_info") else ln for ln in lines
            ),
            encoding="utf-8",
        )
        return
    link = venv / "bin" / "python"
    link.unlink()
    os.symlink(venv.parent / "no-such-python", link)


def _last(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""
