"""The shim's front ends: `front/uv.sh` (POSIX) rendered for one installation.

Its lists (which subcommands go to Python, which straight to uv, which global options take a
value) are filled in from the tables that own them (uvargs, decision), so the sh front end and
the Python half cannot disagree; tests/unit/intercept/test_frontend.py checks the rendered file
against them, and the shell hooks' copies of the state-root layout against state.py.
"""

from __future__ import annotations

import shlex
import sys
from importlib import resources

from ..state import SH_DEFAULT_HOME
from . import decision, uvargs
from .fastpath import FILE as FAST_FILE
from .fastpath import SEP
from .realuv import SHIM_DIR_MARKER

BOOT = "import sys; sys.path[:0] = {path!r}; from venvshim.intercept.entry import main; main()"


def sh_words(words: object) -> str:
    return "|".join(sorted(words))  # type: ignore[call-overload]


def decided_by_python() -> frozenset[str]:
    """Subcommands (and aliases) the sh front end hands to Python."""
    return decision.INTERCEPTED | {
        a for a, c in uvargs.ALIASES.items() if c in decision.INTERCEPTED
    }


def passed_to_uv() -> frozenset[str]:
    """Known subcommands that never replace an environment nor delete files in one (and have
    no subcommand that may): exec'd at once."""
    return uvargs.SUBCOMMANDS - decided_by_python() - set(uvargs.NESTED_SUBCOMMANDS)


def nested_cases() -> str:
    """One `case` arm per command with subcommands (`tool`, `pip`): Python for those that may
    delete files (decision.NESTED_INTERCEPTED) and for unknown ones, uv for the rest."""
    arms = []
    for command, subcommands in sorted(uvargs.NESTED_SUBCOMMANDS.items()):
        decided = decision.NESTED_INTERCEPTED[command]
        arms.append(
            f"          {command})\n"
            "            case $vs_a in\n"
            f"              {sh_words(decided)}) vs_py=1 ;;\n"
            f"              {sh_words(subcommands - decided)}) ;;\n"
            "              *) vs_py=1 ;;\n"
            "            esac\n"
            "            break ;;"
        )
    return "\n".join(arms)


def render_sh(*, python: str, roots: list[str], platform: str = sys.platform) -> str:
    template = resources.files("venvshim.intercept").joinpath("front/uv.sh")
    text = template.read_text(encoding="utf-8")
    filled = {
        "@PYTHON@": shlex.quote(python),
        "@BOOT@": shlex.quote(BOOT.format(path=roots)),
        "@STATE_HOME@": SH_DEFAULT_HOME["darwin" if platform == "darwin" else "linux"],
        "@SEP@": SEP,
        "@SHIM_DIR_MARKER@": SHIM_DIR_MARKER,
        "@GLOBAL_VALUE@": sh_words(uvargs.GLOBAL_VALUE),
        "@DECIDED@": sh_words(decided_by_python()),
        "@PASSED@": sh_words(passed_to_uv()),
        "@NESTED@": sh_words(uvargs.NESTED_SUBCOMMANDS),
        "@NESTED_CASES@": nested_cases(),
        "@FAST_FILE@": FAST_FILE,
    }
    for placeholder, value in filled.items():
        text = text.replace(placeholder, value)
    return text
