"""`venvshim` command line: global options and dispatch here, one module per subcommand under
commands/ (each: SUMMARY, configure(parser), run(args, ctx) -> int). Usage errors in uv's voice
(exit 2, a `tip:` for a near miss); everything else through the one boundary (errors.boundary).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from . import __version__
from .errors import VenvshimError, boundary
from .state import StateRoot, default_home
from .ui import CHOICES, Printer

COMMANDS = ("status", "gc", "doctor", "install", "uninstall")
USAGE_ERROR = 2

ABOUT = """\
venvshim keeps uv environments safe while programs use them. When a `uv` command is about to
delete and recreate an environment (a new Python for `uv sync`, `uv venv --clear`, ...), the
`uv` shim first moves the old one aside to a tombstone, where running programs keep their
files, and `venvshim gc` deletes the tombstone once nothing uses it any more."""

ENVIRONMENT = (
    ("VENVSHIM_DISABLE=1", "every `uv` command goes straight to uv, untouched"),
    ("VENVSHIM_HOME", "where venvshim keeps its state (tombstone records, caches, logs)"),
    ("VENVSHIM_REAL_UV", "the uv the shim runs (default: the first `uv` on PATH not a shim)"),
    ("VENVSHIM_GC_INTERVAL", "seconds between automatic gc runs (default: 3600)"),
    ("VENVSHIM_NO_BACKGROUND_GC=1", "no gc started in the background after a switch"),
    ("UV_LOCK_TIMEOUT", "seconds to wait for a lock another command holds (default: 300)"),
)


class Context:
    """What a subcommand gets: the state root (resolved now), the environment, the printer.
    (A plain class: `dataclasses` imports `inspect`, ~10 ms on every `venvshim gc`.)"""

    __slots__ = ("env", "state", "ui")

    def __init__(self, state: StateRoot, env: os._Environ[str], ui: Printer) -> None:
        self.state, self.env, self.ui = state, env, ui


class UsageError(Exception):
    def __init__(self, message: str, *, tip: str | None = None, usage: str = "") -> None:
        super().__init__(message)
        self.message, self.tip, self.usage = message, tip, usage


class Parser(argparse.ArgumentParser):
    """argparse, with its errors turned into uv's."""

    def error(self, message: str) -> NoReturn:
        tip = None
        if message.startswith("unrecognized arguments: "):
            unknown = message.split(": ", 1)[1].split(maxsplit=1)[0]
            message = f"unexpected argument '{unknown}' found"
            known = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            close = difflib.get_close_matches(unknown, known, n=1)
            tip = f"a similar argument exists: '{close[0]}'" if close else None
        raise UsageError(message, tip=tip, usage=self.format_usage().strip())


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"venvshim.commands.{name}")


def _parser(name: str) -> Parser:
    module = _module(name)
    parser = Parser(
        prog=f"venvshim {name}",
        description=module.SUMMARY,
        add_help=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-h", "--help", action="store_true", help="display this help")
    parser.add_argument("--color", choices=CHOICES, metavar="WHEN",
                        help="color in output: auto, always, never")  # fmt: skip
    module.configure(parser)
    return parser


def main_help() -> str:
    home = default_home(os.environ)
    width = max(len(c) for c in COMMANDS)
    lines = [ABOUT, "", "Usage: venvshim [OPTIONS] <COMMAND>", "", "Commands:"]
    lines += [f"  {c:<{width}}  {_module(c).SUMMARY}" for c in COMMANDS]
    lines += [f"  {'help':<{width}}  Display the help of a command", "", "Options:"]
    lines += [
        "      --color <WHEN>  Control the use of color in output [auto, always, never]",
        "  -h, --help          Display this help",
        "  -V, --version       Display venvshim's version",
        "",
        f"State: {home} (VENVSHIM_HOME)",
        "",
        "Environment variables:",
    ]
    width = max(len(n) for n, _ in ENVIRONMENT)
    lines += [f"  {n:<{width}}  {what}" for n, what in ENVIRONMENT]
    lines += ["", "Use `venvshim help <COMMAND>` for more about a command."]
    return "\n".join(lines)


def _usage_error(ui: Printer, exc: UsageError) -> int:
    ui.say("error", exc.message)
    if exc.tip:
        print(file=ui.err)
        ui.say("tip", exc.tip, indent="  ")
    print(f"\n{exc.usage or 'usage: venvshim [OPTIONS] <COMMAND>'}", file=ui.err)
    print("\nFor more information, try '--help'.", file=ui.err)
    return USAGE_ERROR


def _split_globals(args: list[str]) -> tuple[str | None, list[str], list[str]]:
    """(--color value, global flags, the rest from the subcommand on)."""
    color: str | None = None
    flags: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg == "--color" and i + 1 < len(args):
            color = args[i + 1]
            i += 2
            continue
        if arg.startswith("--color="):
            color = arg.partition("=")[2]
        else:
            flags.append(arg)
        i += 1
    return color, flags, args[i:]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    color, flags, rest = _split_globals(args)
    ui = Printer(choice=color if color in CHOICES else None)
    try:
        if color is not None and color not in CHOICES:
            raise UsageError(
                f"invalid value '{color}' for '--color <WHEN>'",
                tip="possible values: auto, always, never",
            )
        if "-V" in flags or "--version" in flags:
            ui.print(f"venvshim {__version__}")
            return 0
        unknown = [f for f in flags if f not in ("-h", "--help")]
        if unknown:
            raise UsageError(f"unexpected argument '{unknown[0]}' found")
        if not rest or rest[0] == "help" or "-h" in flags or "--help" in flags:
            topic = rest[1] if rest[:1] == ["help"] and len(rest) > 1 else None
            if topic is not None and topic not in COMMANDS:
                raise _unknown_command(topic)
            ui.print(main_help() if topic is None else _parser(topic).format_help().rstrip())
            return 0 if rest or flags else USAGE_ERROR
        name = rest[0]
        if name not in COMMANDS:
            raise _unknown_command(name)
        parser = _parser(name)
        parsed = parser.parse_args(rest[1:])
        if parsed.color is not None:
            ui = Printer(choice=parsed.color)
        if parsed.help:
            ui.print(parser.format_help().rstrip())
            return 0
    except UsageError as exc:
        return _usage_error(ui, exc)
    ctx = Context(state=StateRoot.from_env(os.environ), env=os.environ, ui=ui)
    return boundary(lambda: _module(name).run(parsed, ctx), ui=ui)


def _unknown_command(name: str) -> UsageError:
    close = difflib.get_close_matches(name, [*COMMANDS, "help"], n=1)
    return UsageError(
        f"unrecognized subcommand '{name}'",
        tip=f"a similar subcommand exists: '{close[0]}'" if close else None,
        usage="Usage: venvshim [OPTIONS] <COMMAND>",
    )


__all__ = ["Context", "VenvshimError", "main"]
