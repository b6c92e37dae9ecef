"""One error type, one boundary (cli.main / entry.main): `error:` line, `hint:` line, exit 1."""

from __future__ import annotations

import sys


class VenvshimError(Exception):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def report(self) -> None:
        print(f"error: {self.message}", file=sys.stderr)
        if self.hint:
            print(f"hint: {self.hint}", file=sys.stderr)
