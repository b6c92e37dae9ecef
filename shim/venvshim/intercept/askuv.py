"""Ask the real uv what it would do with the environment, and read its answer strictly.

`uv sync --dry-run` with the same project, Python and config arguments says what it would do with
the project environment before it resolves anything. Its wording changed between releases
(uvfacts.TABLE "wording"); a line is only read in the wording of the release that printed it, and
an answer in no known wording is "not understood" (None), never "keep": decision.py then asks in
a way that does not depend on prose, or protects.

Read to its end, the same dry-run (and `uv pip install|uninstall|sync --dry-run`) then says which
dists uv would uninstall or reinstall (`Would uninstall N packages`, ` - name==ver`, ` ~ name==ver`,
or `Would make no changes`: crates/uv/src/commands/pip/loggers.rs). `Changes` is that list,
checked against its count; anything else (a failed dry-run, a count that does not match, no
summary) is None: unknown, which the caller treats as "any dist may go".
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import decision, uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..platform.posix import StderrReader
    from .envstate import EnvState
    from .uvargs import Invocation
    from .uvfacts import Facts

_AT = r" at: (.+?)\s*$"
# wording era -> [(answer, line)]; answers: replace | use | create
WORDINGS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "project": [  # 0.7.21 and later
        ("replace", re.compile(r"^Would replace project environment" + _AT)),
        ("use", re.compile(r"^Would use project environment" + _AT)),
        ("create", re.compile(r"^Would create project environment" + _AT)),
    ],
    "existing": [  # 0.5.30 - 0.7.20
        ("replace", re.compile(r"^Would replace existing virtual environment" + _AT)),
        ("use", re.compile(r"^Discovered existing environment" + _AT)),
        ("create", re.compile(r"^Would create virtual environment" + _AT)),
    ],
}
_COUNT = re.compile(r"^Would (uninstall|install) (\d+) packages?$")
_EVENT = re.compile(r"^ ([-+~]) ([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+))?(?:\s.*)?$")
_NO_CHANGES = "Would make no changes"
# `uv pip ...` names its target unless it is `./.venv`, a tool env or a cache env.
_PIP_ENV = re.compile(r"^Using Python \S+ environment at: (.+?)\s*$")
# uv refuses the directory (not a venv it may recreate): it will report that itself.
_BROKEN = re.compile(r"Project virtual environment directory `(.+?)` cannot be used because")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Changes:
    """The dists a dry-run says uv would uninstall or reinstall: (name, version or None)."""

    __slots__ = ("removed",)

    def __init__(self, removed: list[tuple[str, str | None]]) -> None:
        self.removed = removed

    def __repr__(self) -> str:
        return f"Changes({self.removed})"


def read_changes(lines: list[str], exit_code: int) -> Changes | None:
    """The dry-run's summary of changes, or None when it cannot be read with certainty."""
    if exit_code != 0:
        return None
    summary = False
    expected = 0
    removed: list[tuple[str, str | None]] = []
    for raw in lines:
        line = _ANSI.sub("", raw).rstrip("\r\n")
        count = _COUNT.match(line)
        if count is not None:
            summary = True
            if count.group(1) == "uninstall":
                expected = int(count.group(2))
        elif line == _NO_CHANGES:
            summary = True
        event = _EVENT.match(line)
        if event is not None and event.group(1) in "-~":
            removed.append((event.group(2), event.group(3)))
    if not summary or len(removed) != expected:
        return None
    return Changes(removed)


def pip_env(lines: list[str]) -> str | None:
    """The environment `uv pip` names ("Using Python 3.12.1 environment at: …"), if it does."""
    for raw in lines:
        match = _PIP_ENV.match(_ANSI.sub("", raw))
        if match:
            return match.group(1)
    return None


class Answer:
    """What uv said: `action` replace | use | create | broken, or None (not understood);
    `changes` when it was read to its end (None: unknown)."""

    __slots__ = ("action", "changes", "env_path", "said")

    def __init__(
        self,
        action: str | None,
        env_path: Path | None,
        said: str = "",
        changes: Changes | None = None,
    ) -> None:
        self.action = action
        self.env_path = env_path
        self.said = said
        self.changes = changes

    def __repr__(self) -> str:
        return f"Answer({self.action}, {self.env_path})"


def wordings(facts: Facts) -> list[tuple[str, re.Pattern[str]]]:
    if facts.wording in WORDINGS:
        return WORDINGS[facts.wording]
    return [row for rows in WORDINGS.values() for row in rows]  # unknown release: any of them


def read_answer(lines: list[str], facts: Facts) -> tuple[str, str] | None:
    """(answer, path) from uv's stderr lines, in the wording of this uv release only."""
    known = wordings(facts)
    for raw in lines:
        line = _ANSI.sub("", raw)
        for answer, pattern in known:
            match = pattern.match(line)
            if match:
                return answer, match.group(1)
        broken = _BROKEN.search(line)
        if broken:
            return "broken", broken.group(1)
    return None


class _PopenReader:
    def __init__(self, argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        self.stream = self.proc.stderr

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.stream.close()
        self.proc.wait()

    def finish(self) -> int:
        self.stream.close()
        return self.proc.wait()


def run_to_end(argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> tuple[list[str], int]:
    """Every stderr line of `argv` and its exit code."""
    reader = _PopenReader(argv, cwd=cwd, env=decision.dry_run_env(env))
    lines = [raw.decode("utf-8", "replace") for raw in reader.stream]
    return lines, reader.finish()


def dry_run(
    real_uv: str,
    inv: Invocation,
    *,
    cwd: Path,
    env: Mapping[str, str],
    facts: Facts,
    argv: list[str],
    early: StderrReader | None = None,
    to_end: bool = False,
) -> Answer:
    """Run `uv ARGV` (`sync --dry-run …`; or read the one entry.py started early for this very
    command) and stop it as soon as it has said what it would do with the environment; with
    `to_end`, when uv would use it, read on to the changes it would make to it."""
    reader: StderrReader | _PopenReader = early or _PopenReader(
        [real_uv, *argv], cwd=cwd, env=decision.dry_run_env(env)
    )
    seen: list[str] = []
    found = None
    changes = None
    try:
        for raw in reader.stream:
            seen.append(raw.decode("utf-8", "replace"))
            found = read_answer(seen[-1:], facts)
            if found is not None:
                break
        said = seen[-1].strip() if seen else ""
        if found is not None and to_end and found[0] == "create":
            changes = Changes([])  # a new environment: nothing in it to remove
        elif found is not None and to_end and found[0] == "use":
            rest = [raw.decode("utf-8", "replace") for raw in reader.stream]
            changes = read_changes(rest, reader.finish())
    finally:
        if not reader.stream.closed:
            reader.stop()
    if found is None:
        return Answer(None, None, "".join(seen[-3:]).strip())
    answer, shown = found
    path = Path(shown)
    if not path.is_absolute():
        # uv prints paths relative to where it works (--directory, UV_WORKING_DIR).
        path = Path(uvargs.working_dir(inv, cwd=str(cwd), env=env, facts=facts)) / path
    return Answer(answer, path, said, changes)


def python_find(
    real_uv: str,
    inv: Invocation,
    current: EnvState,
    *,
    cwd: Path,
    env: Mapping[str, str],
    facts: Facts,
) -> str | None:
    """Step 7 of decision.py, in no wording of uv's: "keep" when uv, asked for the interpreter
    of the same request in the same project (`uv python find`, in every release since 0.4),
    answers with the environment's own python, "replace" when it answers with another one, None
    when it does not answer.

    `uv python find` takes an active environment first when it satisfies the request, the
    version files and `requires-python`: so VIRTUAL_ENV names this environment for the question
    (whichever way the project names it: `.venv`, UV_PROJECT_ENVIRONMENT, `--active`). A request
    the project's `requires-python` excludes makes uv warn and `uv sync` fail before touching
    anything: "keep". From 0.6.17 uv also replaces an env whose `pyvenv.cfg` `version_info` is
    not its interpreter's: `--show-version` tells. Checked against plain uv over 38 cases per
    release (notes/uv-version-facts.md)."""
    argv = [real_uv, "python", "find"]
    request = inv.value("--python") or env.get("UV_PYTHON")  # `python find` ignores UV_PYTHON
    if request:
        argv.append(request)
    for name in ("--directory", "--project", "--config-file", "--python-preference", "--cache-dir"):
        value = inv.value(name)
        if value is not None:
            argv.append(f"{name}={value}")
    argv += [f for f in ("--no-config", "--managed-python", "--no-managed-python", "--offline")
             if inv.flag(f)]  # fmt: skip
    script_project = uvargs.script_project(inv, cwd=str(cwd), env=env, facts=facts)
    if script_project is not None and inv.value("--project") is None:
        argv.append(f"--project={script_project}")
    child = {k: v for k, v in decision.dry_run_env(env).items() if k not in ("CONDA_PREFIX",)}
    child["VIRTUAL_ENV"] = str(current.real_dir)
    child.pop("UV_PYTHON", None)
    found = _ask(argv, cwd=cwd, env=child)
    if found is None:
        return None
    answer, said = found
    if not os.path.isabs(answer):
        return None  # not an answer to the question
    if b"incompatible with the project's Python requirement" in said:
        return decision.KEEP  # uv refuses the request before touching the environment
    if not _in_env(answer, current):
        return decision.REPLACE
    if facts.version is not None and facts.version < (0, 6, 17):
        return decision.KEEP  # these releases keep an env whatever its `version_info` says
    shown = _ask([*argv, "--show-version"], cwd=cwd, env=child)
    recorded = _version_info(current.real_dir)
    if shown is None or recorded is None:
        return None
    return decision.KEEP if shown[0] == recorded else decision.REPLACE


def _ask(argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> tuple[str, bytes] | None:
    """One line of uv's stdout (and its stderr), or None when uv failed or said more."""
    import subprocess

    try:
        proc = subprocess.run(
            argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=120,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.decode("utf-8", "surrogateescape").strip()
    if proc.returncode != 0 or not out or "\n" in out:
        return None
    return out, proc.stderr


def _in_env(found: str, current: EnvState) -> bool:
    """A path inside the environment, or the very interpreter its python links to."""
    for root in (current.real_dir, current.path):
        if os.path.normpath(found).startswith(os.path.normpath(str(root)) + os.sep):
            return True
    linked = os.path.realpath(os.path.join(current.real_dir, "bin", "python"))
    return os.path.realpath(found) == linked and os.path.exists(linked)


def _version_info(env_dir: Path) -> str | None:
    """`version_info` from the environment's pyvenv.cfg."""
    try:
        text = (env_dir / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "version_info":
            return value.strip()
    return None
