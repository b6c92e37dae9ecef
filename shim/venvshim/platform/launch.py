"""How to start venvshim again from inside venvshim (background gc), with the same sys.path.

The shim runs Python with `-I -S` and puts venvshim's own directories on sys.path itself, so a
child process must be given the same path explicitly rather than rely on site-packages.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

_BOOT = (
    "import sys; sys.path[:0] = {path!r}; from venvshim.cli import main; sys.exit(main({args!r}))"
)


def venvshim_command(args: Sequence[str]) -> list[str]:
    path = [p for p in sys.path if p]
    return [sys.executable, "-I", "-S", "-c", _BOOT.format(path=path, args=list(args))]
