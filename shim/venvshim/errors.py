"""One error type, and the one boundary every entry point goes through.

`boundary(fn)` runs an entry point: a VenvshimError becomes `error:` + `hint:` and exit 1; Ctrl-C
exit 130; anything else an internal error: exit 3, one `error:` line and a `hint:` with the path
of a crash log holding the traceback (or why none could be written). Never a traceback on the
terminal. Used by `venvshim` (cli.py), the shim's Python half (intercept/entry.py) and autogc.
"""

from __future__ import annotations

import os
import sys

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from .ui import Printer

INTERNAL = 3
INTERRUPTED = 130


class VenvshimError(Exception):
    def __init__(self, message: str, *, hint: str | None = None, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def report(self, ui: Printer | None = None) -> None:
        from .ui import Printer

        (ui or Printer()).error(self.message, self.hint)


def boundary(
    main: Callable[[], int], *, bypass: str | None = None, ui: Printer | None = None
) -> int:
    """Run `main` and turn whatever escapes it into an exit code and words for a human.

    `bypass`: how to get around venvshim for this command, added to an internal error's hint.
    """
    try:
        return main()
    except VenvshimError as exc:
        exc.report(ui)
        return exc.code
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:
        # `venvshim status | head`: the reader left; nothing more to say to it.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return 1
    except Exception as exc:
        from .ui import Printer

        log, why = _write_crash_log()
        where = f"the details are in {log}" if log else f"no crash log could be written ({why})"
        hint = f"{where}; please report it" + (f"; {bypass}" if bypass else "")
        (ui or Printer()).error(f"venvshim: internal error: {type(exc).__name__}: {exc}", hint)
        return INTERNAL


def _write_crash_log() -> tuple[Path | None, str]:
    """Append the current traceback to `logs/crash.log` in the state root."""
    import traceback

    from .state import StateRoot

    try:
        logs = StateRoot.from_env(os.environ).logs
        logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        log = logs / "crash.log"
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"--- pid {os.getpid()} argv {sys.argv!r}\n{traceback.format_exc()}\n")
        return log, ""
    except Exception as exc:  # the state root itself may be what is broken
        return None, f"{type(exc).__name__}: {exc}"
