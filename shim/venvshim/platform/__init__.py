"""The one place that picks the platform module; tests patch `venvshim.platform.impl`."""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from . import windows as impl
else:
    from . import posix as impl

__all__ = ["impl"]
