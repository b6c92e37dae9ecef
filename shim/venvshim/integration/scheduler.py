"""Periodic gc for people who never open a terminal: the platform's own scheduler.

* Linux: a systemd user timer (`venvshim-gc.timer`, hourly and shortly after login), where
  `systemctl --user` reaches a user manager (containers and some WSL setups have none: reported);
* macOS: a launchd agent (`~/Library/LaunchAgents/io.github.venvshim.gc.plist`, hourly + at load);
* Windows: a Task Scheduler task (`venvshim-gc`, at logon, repeated hourly), as the user.

Each runs `python -I -m venvshim.autogc --from KIND --home STATE_ROOT`, which shares its interval
stamp with the shell hooks. Unit files are generated here as text (tested byte for byte);
commands go through `runner`, so tests pass a fake one.
"""

from __future__ import annotations

import plistlib
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from ..errors import VenvshimError

UNIT = "venvshim-gc"
LAUNCHD_LABEL = "io.github.venvshim.gc"
TASK_NAME = "venvshim-gc"

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", str(exc))


def gc_command(python: str, state_home: Path, kind: str) -> list[str]:
    return [python, "-I", "-m", "venvshim.autogc", "--from", kind, "--home", str(state_home)]


# --- systemd ----------------------------------------------------------------------------------


def systemd_quote(arg: str) -> str:
    """One ExecStart word: double-quoted, with systemd's C-style escapes and `%`/`$` doubled."""
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("%", "%%").replace("$", "$$") + '"'


def systemd_units(command: Sequence[str]) -> dict[str, str]:
    service = (
        "[Unit]\n"
        "Description=venvshim: delete uv environment tombstones nothing holds any more\n"
        "Documentation=https://github.com/astral-sh/uv/issues/13986\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={' '.join(systemd_quote(a) for a in command)}\n"
        "Nice=19\n"
        "IOSchedulingClass=idle\n"
    )
    timer = (
        "[Unit]\n"
        "Description=venvshim: hourly gc of uv environment tombstones\n"
        "\n"
        "[Timer]\n"
        "OnStartupSec=5min\n"
        "OnUnitActiveSec=1h\n"
        "RandomizedDelaySec=5min\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{UNIT}.service": service, f"{UNIT}.timer": timer}


# --- launchd ----------------------------------------------------------------------------------


def launchd_plist(command: Sequence[str]) -> bytes:
    return plistlib.dumps(
        {
            "Label": LAUNCHD_LABEL,
            "ProgramArguments": list(command),
            "StartInterval": 3600,
            "RunAtLoad": True,
            "ProcessType": "Background",
            "LowPriorityIO": True,
            "Nice": 10,
            "StandardOutPath": "/dev/null",
            "StandardErrorPath": "/dev/null",
        },
        sort_keys=False,
    )


# --- Windows Task Scheduler -------------------------------------------------------------------

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"


def task_xml(command: Sequence[str], *, user: str) -> str:
    """Task Scheduler XML: at logon of `user`, then every hour for as long as they stay."""
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", "venvshim: delete uv environment tombstones nothing holds any more")
    logon = sub(sub(task, "Triggers"), "LogonTrigger")
    sub(logon, "Enabled", "true")
    sub(logon, "UserId", user)
    repetition = sub(logon, "Repetition")
    sub(repetition, "Interval", "PT1H")
    sub(repetition, "StopAtDurationEnd", "false")
    principal = sub(sub(task, "Principals"), "Principal")
    principal.set("id", "Author")
    sub(principal, "UserId", user)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    for tag, value in (
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("StartWhenAvailable", "true"),
        ("ExecutionTimeLimit", "PT30M"),
        ("Priority", "7"),
        ("Hidden", "true"),
        ("Enabled", "true"),
    ):
        sub(settings, tag, value)
    actions = sub(task, "Actions")
    actions.set("Context", "Author")
    exec_ = sub(actions, "Exec")
    sub(exec_, "Command", command[0])
    sub(exec_, "Arguments", subprocess.list2cmdline(list(command[1:])))
    body = ET.tostring(task, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + body + "\n"


# --- backends -----------------------------------------------------------------------------------


@dataclass
class Status:
    kind: str  # systemd | launchd | task | none
    available: bool
    installed: bool
    detail: str


class Backend:
    kind = "none"

    def __init__(self, *, env: Mapping[str, str], runner: Runner = run_command) -> None:
        self.env = env
        self.runner = runner

    def _ok(self, *argv: str) -> bool:
        return self.runner(argv).returncode == 0

    def _must(self, *argv: str) -> None:
        proc = self.runner(argv)
        if proc.returncode != 0:
            raise VenvshimError(
                f"`{' '.join(argv)}` failed: {(proc.stderr or proc.stdout).strip()}",
                hint="install again with --no-scheduler to skip periodic gc",
            )

    def available(self) -> tuple[bool, str]:
        return False, f"no scheduler venvshim knows on {sys.platform}"

    def files(self) -> list[Path]:
        return []

    def installed(self) -> bool:
        return False

    def install(self, command: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def uninstall(self) -> list[str]:
        return []

    def status(self) -> Status:
        ok, why = self.available()
        if not ok:
            return Status(self.kind, False, False, why)
        installed = self.installed()
        return Status(self.kind, True, installed, why)


class Systemd(Backend):
    kind = "systemd"

    @property
    def unit_dir(self) -> Path:
        config = self.env.get("XDG_CONFIG_HOME") or str(Path(self.env["HOME"]) / ".config")
        return Path(config) / "systemd" / "user"

    def available(self) -> tuple[bool, str]:
        proc = self.runner(["systemctl", "--user", "show-environment"])
        if proc.returncode == 0:
            return True, f"systemd user timer {UNIT}.timer"
        why = (proc.stderr or proc.stdout).strip().splitlines()
        return False, "`systemctl --user` cannot reach a user manager" + (
            f" ({why[-1]})" if why else ""
        )

    def files(self) -> list[Path]:
        return [self.unit_dir / name for name in systemd_units(["x"])]

    def installed(self) -> bool:
        return all(p.is_file() for p in self.files()) and self._ok(
            "systemctl", "--user", "is-enabled", "--quiet", f"{UNIT}.timer"
        )

    def install(self, command: Sequence[str]) -> list[str]:
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        for name, text in systemd_units(command).items():
            (self.unit_dir / name).write_text(text, encoding="utf-8")
        self._must("systemctl", "--user", "daemon-reload")
        self._must("systemctl", "--user", "enable", "--now", f"{UNIT}.timer")
        return [f"systemd user timer {UNIT}.timer ({self.unit_dir})"]

    def uninstall(self) -> list[str]:
        present = [p for p in self.files() if p.exists()]
        if not present:
            return []
        self.runner(["systemctl", "--user", "disable", "--now", f"{UNIT}.timer"])
        for path in present:
            path.unlink()
        self.runner(["systemctl", "--user", "daemon-reload"])
        return [f"Removed the systemd user timer {UNIT}.timer"]


class Launchd(Backend):
    kind = "launchd"

    @property
    def plist(self) -> Path:
        return Path(self.env["HOME"]) / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"

    def _domain(self) -> str:
        import os

        return f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui/0"

    def available(self) -> tuple[bool, str]:
        if self._ok("launchctl", "print", self._domain()):
            return True, f"launchd agent {LAUNCHD_LABEL}"
        return False, "launchctl cannot reach the user's GUI domain (no login session?)"

    def files(self) -> list[Path]:
        return [self.plist]

    def installed(self) -> bool:
        return self.plist.is_file() and self._ok(
            "launchctl", "print", f"{self._domain()}/{LAUNCHD_LABEL}"
        )

    def install(self, command: Sequence[str]) -> list[str]:
        self.plist.parent.mkdir(parents=True, exist_ok=True)
        self.runner(["launchctl", "bootout", f"{self._domain()}/{LAUNCHD_LABEL}"])
        self.plist.write_bytes(launchd_plist(command))
        self._must("launchctl", "bootstrap", self._domain(), str(self.plist))
        return [f"launchd agent {LAUNCHD_LABEL} ({self.plist})"]

    def uninstall(self) -> list[str]:
        if not self.plist.exists():
            return []
        self.runner(["launchctl", "bootout", f"{self._domain()}/{LAUNCHD_LABEL}"])
        self.plist.unlink()
        return [f"Removed the launchd agent {LAUNCHD_LABEL}"]


class TaskScheduler(Backend):
    kind = "task"

    def _user(self) -> str:
        domain = self.env.get("USERDOMAIN", "")
        user = self.env.get("USERNAME", "")
        return f"{domain}\\{user}" if domain else user

    def available(self) -> tuple[bool, str]:
        if self._ok("schtasks", "/Query", "/FO", "CSV", "/NH", "/TN", "\\"):
            return True, f"Task Scheduler task {TASK_NAME}"
        return False, "schtasks.exe does not answer"

    def installed(self) -> bool:
        return self._ok("schtasks", "/Query", "/TN", TASK_NAME)

    def install(self, command: Sequence[str]) -> list[str]:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            xml = Path(tmp) / "task.xml"
            xml.write_text(task_xml(command, user=self._user()), encoding="utf-16")
            self._must("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(xml), "/F")
        return [f"Task Scheduler task {TASK_NAME} (at logon, hourly)"]

    def uninstall(self) -> list[str]:
        if not self.installed():
            return []
        self.runner(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])
        return [f"Removed the Task Scheduler task {TASK_NAME}"]


def backend_for(platform: str, *, env: Mapping[str, str], runner: Runner = run_command) -> Backend:
    if platform == "win32":
        return TaskScheduler(env=env, runner=runner)
    if platform == "darwin":
        return Launchd(env=env, runner=runner)
    if platform.startswith("linux"):
        return Systemd(env=env, runner=runner)
    return Backend(env=env, runner=runner)
