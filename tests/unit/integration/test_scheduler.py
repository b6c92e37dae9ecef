"""Scheduler entries generated as text, and the backends driven through a fake runner."""

from __future__ import annotations

import plistlib
import subprocess
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from venvshim.errors import VenvshimError
from venvshim.integration import scheduler

CMD = ["/h/my tools/python", "-I", "-m", "venvshim.autogc", "--from", "x", "--home", "/s/100%"]


class FakeRunner:
    def __init__(self, codes: dict[str, int] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.codes = codes or {}

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        code = next((c for key, c in self.codes.items() if key in " ".join(argv)), 0)
        return subprocess.CompletedProcess(list(argv), code, "", "Failed to connect to bus")


def test_systemd_quoting() -> None:
    assert scheduler.systemd_quote('a "b" \\c $HOME 5%') == '"a \\"b\\" \\\\c $$HOME 5%%"'


def test_systemd_units() -> None:
    units = scheduler.systemd_units(CMD)
    service = units["venvshim-gc.service"]
    assert 'ExecStart="/h/my tools/python" "-I" "-m" "venvshim.autogc"' in service
    assert '"--home" "/s/100%%"' in service and "Type=oneshot" in service
    timer = units["venvshim-gc.timer"]
    assert "OnUnitActiveSec=1h" in timer and "WantedBy=timers.target" in timer


def test_launchd_plist_round_trips() -> None:
    data = plistlib.loads(scheduler.launchd_plist(CMD))
    assert data["Label"] == scheduler.LAUNCHD_LABEL
    assert data["ProgramArguments"] == CMD
    assert data["StartInterval"] == 3600 and data["RunAtLoad"] is True


def test_task_xml_logon_and_hourly() -> None:
    xml = scheduler.task_xml(CMD, user="PC\\jürgen")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    ns = {"t": scheduler.TASK_NS}
    root = ET.fromstring(xml.split("\n", 1)[1])
    trigger = root.find("t:Triggers/t:LogonTrigger", ns)
    assert trigger is not None
    assert trigger.findtext("t:UserId", namespaces=ns) == "PC\\jürgen"
    assert trigger.findtext("t:Repetition/t:Interval", namespaces=ns) == "PT1H"
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=ns) == CMD[0]
    args = root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns)
    assert args == subprocess.list2cmdline(CMD[1:])
    assert (
        root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=ns) == "InteractiveToken"
    )


def test_systemd_unavailable_is_reported(tmp_path: Path) -> None:
    runner = FakeRunner({"show-environment": 1})
    backend = scheduler.Systemd(env={"HOME": str(tmp_path)}, runner=runner)
    status = backend.status()
    assert not status.available and "Failed to connect to bus" in status.detail


def test_systemd_install_status_uninstall(tmp_path: Path) -> None:
    runner = FakeRunner()
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    backend = scheduler.Systemd(env=env, runner=runner)
    assert backend.status().available and not backend.status().installed
    backend.install(CMD)
    unit_dir = tmp_path / "cfg" / "systemd" / "user"
    assert (unit_dir / "venvshim-gc.timer").is_file()
    assert ["systemctl", "--user", "enable", "--now", "venvshim-gc.timer"] in runner.calls
    assert backend.status().installed
    assert backend.uninstall()
    assert not any(unit_dir.iterdir())
    assert ["systemctl", "--user", "disable", "--now", "venvshim-gc.timer"] in runner.calls
    assert backend.uninstall() == []  # nothing left to remove


def test_systemd_install_failure_has_a_hint(tmp_path: Path) -> None:
    backend = scheduler.Systemd(env={"HOME": str(tmp_path)}, runner=FakeRunner({"enable": 1}))
    with pytest.raises(VenvshimError) as info:
        backend.install(CMD)
    assert "--no-scheduler" in (info.value.hint or "")


def test_launchd_and_task_backends(tmp_path: Path) -> None:
    runner = FakeRunner()
    launchd = scheduler.Launchd(env={"HOME": str(tmp_path)}, runner=runner)
    launchd.install(CMD)
    assert launchd.plist.is_file() and launchd.installed()
    assert any(c[:2] == ["launchctl", "bootstrap"] for c in runner.calls)
    launchd.uninstall()
    assert not launchd.plist.exists()
    task = scheduler.TaskScheduler(env={"USERNAME": "u", "USERDOMAIN": "D"}, runner=runner)
    task.install(CMD)
    create = next(c for c in runner.calls if c[:2] == ["schtasks", "/Create"])
    assert create[create.index("/TN") + 1] == scheduler.TASK_NAME
    assert task.uninstall() == [f"Removed the Task Scheduler task {scheduler.TASK_NAME}"]


@pytest.mark.parametrize(
    ("platform", "kind"),
    [("linux", "systemd"), ("darwin", "launchd"), ("win32", "task"), ("freebsd13", "none")],
)
def test_backend_for(platform: str, kind: str) -> None:
    assert scheduler.backend_for(platform, env={"HOME": "/h"}).kind == kind
