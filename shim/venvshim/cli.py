"""`venvshim` command line: argparse here, one module per subcommand under commands/."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import VenvshimError
from .state import StateRoot


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="venvshim", description=__doc__)
    parser.add_argument("--version", action="version", version=f"venvshim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("gc", help="delete tombstones that nothing holds any more")
    p.add_argument("--dry-run", action="store_true", help="say what would be deleted")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--id", help=argparse.SUPPRESS)
    p.add_argument(
        "--wait", nargs="?", type=float, const=600.0, default=None, metavar="SECONDS",
        help="keep retrying while holders exit (default 600 s); used by the background gc",
    )  # fmt: skip

    p = sub.add_parser("status", help="list tombstones and who holds them")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = sub.add_parser("install", help="write the uv shim into a directory")
    p.add_argument("--shim-dir", type=Path, required=True, help="directory for the `uv` shim")
    p.add_argument("--no-modify-path", action="store_true", help="do not touch PATH or rc files")
    p.add_argument("--dry-run", action="store_true", help="say what would be written")
    p.add_argument(
        "--modify-path", action="store_true",
        help="also hook every shell (Windows: the user PATH) and set up periodic gc; "
        "what install.sh and install.ps1 run",
    )  # fmt: skip
    p.add_argument(
        "--no-scheduler", action="store_true",
        help="with --modify-path: no systemd timer / launchd agent / scheduled task",
    )  # fmt: skip
    p.add_argument(
        "--platform", choices=("posix", "windows"),
        help="write the shim of this platform (default: this system's); with --no-modify-path",
    )  # fmt: skip

    p = sub.add_parser("doctor", help="check that every uv goes through the shim")
    p.add_argument("--json", action="store_true", help="print a JSON list of checks")

    p = sub.add_parser("uninstall", help="remove the shim, hooks, rc blocks and scheduled gc")
    p.add_argument("--shim-dir", type=Path, help="when no install record names it")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed")
    return parser


def _run(args: argparse.Namespace) -> int:
    state = StateRoot.from_env(os.environ)
    if args.command == "gc":
        from .tombstones.gc import gc

        outcomes = gc(state=state, dry_run=args.dry_run, only=args.id, wait=args.wait)
        if args.json:
            print(json.dumps([o.to_json() for o in outcomes], indent=2))
        else:
            for o in outcomes:
                extra = "; ".join(h.describe() for h in o.holders) or o.detail
                print(f"{o.action}: {o.record.path}" + (f" ({extra})" if extra else ""))
        return 0
    if args.command == "status":
        from .commands.status import status

        rows = status(state=state)
        if args.json:
            print(json.dumps(rows, indent=2))
        elif not rows:
            print("no tombstones")
        else:
            for row in rows:
                holders = row["holders"]
                assert isinstance(holders, list)
                held = ", ".join(f"{h['pid']} {h['name']}" for h in holders)
                line = f"{row['path']}  (from {row['original']}, {row['created']}, "
                line += f"{row['bytes']} bytes)" + (f"  held by: {held}" if held else "")
                print(line)
        return 0
    if args.command == "install":
        from .commands.install import install

        if args.modify_path and args.no_modify_path:
            raise VenvshimError(
                "--modify-path and --no-modify-path contradict each other",
                hint="pick one",
            )
        return install(
            shim_dir=args.shim_dir,
            modify_path=not args.no_modify_path,
            dry_run=args.dry_run,
            hooks=args.modify_path,
            scheduler=not args.no_scheduler,
            platform=args.platform,
        )
    if args.command == "doctor":
        from .commands.doctor import doctor, render

        checks = doctor(state=state, env=os.environ, cwd=Path.cwd())
        print(render(checks, as_json=args.json))
        return 0 if all(c.ok for c in checks) else 1
    if args.command == "uninstall":
        from .commands.uninstall import uninstall

        return uninstall(state=state, env=os.environ, shim_dir=args.shim_dir, dry_run=args.dry_run)
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except VenvshimError as exc:
        exc.report()
        return 1
    except KeyboardInterrupt:
        return 130
