"""Words for humans, in uv's voice: `error:`, `warning:`, `hint:`, `tip:` prefixes, coloured as
uv colours them, only where uv would.

Colour, like uv's own messages: `--color always|never` wins; else NO_COLOR (set, not empty)
turns it off; else FORCE_COLOR or CLICOLOR_FORCE (set, not empty, not "0") turns it on; else
only on a terminal. The escape sequences are uv's, byte for byte (bold red `error`, bold yellow
`warning`, bold cyan `hint`, bold green `tip`, then a bold colon).
"""

from __future__ import annotations

import os
import sys

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

BOLD, RESET = "\x1b[1m", "\x1b[0m"
LABELS = {
    "error": f"{BOLD}\x1b[31merror\x1b[39m{RESET}",
    "warning": f"{BOLD}\x1b[33mwarning\x1b[39m{RESET}",
    "hint": f"\x1b[36m{BOLD}hint{RESET}\x1b[39m",
    "tip": f"\x1b[32m{BOLD}tip{RESET}\x1b[39m",
}
CHOICES = ("auto", "always", "never")


def _set(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name)
    return value not in (None, "", "0")


def use_color(stream: TextIO, env: Mapping[str, str], choice: str | None = None) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if _set(env, "FORCE_COLOR") or _set(env, "CLICOLOR_FORCE"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Printer:
    """Where messages go and whether they are coloured, decided once per command."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        choice: str | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        environ = os.environ if env is None else env
        self.color_err = use_color(self.err, environ, choice)
        self.color_out = use_color(self.out, environ, choice)

    def label(self, kind: str, *, out: bool = False) -> str:
        color = self.color_out if out else self.color_err
        return f"{LABELS[kind]}{BOLD}:{RESET}" if color else f"{kind}:"

    def say(self, kind: str, message: str, *, indent: str = "") -> None:
        """`kind: message` on stderr (kind: error, warning, hint, tip)."""
        print(f"{indent}{self.label(kind)} {message}", file=self.err)

    def error(self, message: str, hint: str | None = None) -> None:
        self.say("error", message)
        if hint:
            self.say("hint", hint)

    def warning(self, message: str, hint: str | None = None) -> None:
        self.say("warning", message)
        if hint:
            self.say("hint", hint)

    def print(self, text: str = "") -> None:
        print(text, file=self.out)


def human_bytes(size: int) -> str:
    """`1.4 GiB`, `312.0 KiB`, `12 B`: the units uv uses for sizes."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
