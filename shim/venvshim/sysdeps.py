"""The one place that picks the platform module; tests patch `venvshim.sysdeps.impl`."""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from . import _windows as impl
else:
    from . import _posix as impl

__all__ = ["impl"]
