"""`venvshim doctor [--json]`: every `uv` goes through the shim, venvshim understands that uv,
gc will happen, nothing is left running from an old environment (integration/checks.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..integration.checks import Check, doctor
from ..ui import Printer

SUMMARY = "Check that every `uv` goes through the shim, and that venvshim understands it"

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checks as a JSON list")


def run(args: argparse.Namespace, ctx: Context) -> int:
    checks = doctor(state=ctx.state, env=ctx.env, cwd=Path.cwd())
    if args.json:
        ctx.ui.print(json.dumps([c.to_json() for c in checks], indent=2))
    else:
        render(checks, ctx.ui)
    return 0 if all(c.ok for c in checks) else 1


def render(checks: list[Check], ui: Printer) -> None:
    """One line per check (`ok`, `warning:`, `error:`), a `hint:` under every warning and
    error, and a last line that never says "all good" over a warning."""
    for check in checks:
        label = "ok:" if check.status == "ok" else ui.label(check.status, out=True)
        ui.print(f"{label} {check.name}: {check.detail}")
        if check.hint and check.status != "ok":
            ui.print(f"{ui.label('hint', out=True)} {check.hint}")
    errors = sum(c.status == "error" for c in checks)
    warnings = sum(c.status == "warning" for c in checks)
    if errors:
        also = f", {warnings} warning{'s' * (warnings > 1)}" if warnings else ""
        ui.print(f"{errors} problem{'s' * (errors > 1)} found{also}")
    elif warnings:
        ui.print(f"no problem found, {warnings} warning{'s' * (warnings > 1)} (see the hints)")
    else:
        ui.print("all good")
