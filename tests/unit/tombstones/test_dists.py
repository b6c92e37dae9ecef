"""A RECORD is data: only regular files inside the environment's own real directory are ever
selected, whatever its lines, a dist name or a directory name say."""

from __future__ import annotations

import os
from pathlib import Path

from venvshim.tombstones import dists


def make_env(root: Path, records: dict[str, list[str]]) -> Path:
    """A venv skeleton whose site-packages holds a dist-info per `name-version` with RECORD."""
    site = root / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for dist, lines in records.items():
        info = site / f"{dist}.dist-info"
        info.mkdir()
        (info / "RECORD").write_text("".join(f"{line},,\n" for line in lines))
    return root


def test_installed_and_select(tmp_path: Path) -> None:
    env = make_env(tmp_path / "env", {"Native_Tool-1.0": [], "other-2.0": [], "bad name-1": []})
    found = dists.installed(env)
    assert sorted((d.name, d.version) for d in found) == [("native-tool", "1.0"), ("other", "2.0")]
    assert [d.name for d in dists.select(found, [("native.tool", "1.0")])] == ["native-tool"]
    # A version uv names that is not the installed one still selects the name: protect more.
    assert [d.version for d in dists.select(found, [("other", "9.9")])] == ["2.0"]
    assert dists.select(found, [("missing", None)]) == []


def test_owned_files_stay_inside_the_env(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not the env's")
    env = make_env(
        tmp_path / "env",
        {
            "tool-1.0": [
                "../../../bin/tool",
                "tool/__init__.py",
                "../../../../outside.txt",
                str(outside),
                "tool/link",
                "tool/via-link/x.py",
                "tool/missing.py",
                '"tool/quoted, name.py"',
                "tool-1.0.dist-info/RECORD",
            ]
        },
    )
    site = env / "lib" / "python3.12" / "site-packages"
    (env / "bin" / "tool").write_bytes(b"\x7fELF")
    (site / "tool").mkdir()
    (site / "tool" / "__init__.py").write_text("")
    (site / "tool" / "quoted, name.py").write_text("")
    (site / "tool" / "link").symlink_to(outside)
    (site / "tool" / "via-link").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "x.py").write_text("elsewhere")
    (dist,) = dists.installed(env)
    owned = sorted(dists.owned_files(dist, os.path.realpath(env)))
    assert owned == sorted(
        str(p)
        for p in (
            env / "bin" / "tool",
            site / "tool" / "__init__.py",
            site / "tool" / "quoted, name.py",
            site / "tool-1.0.dist-info" / "RECORD",
        )
    )


def test_still_listed(tmp_path: Path) -> None:
    env = make_env(tmp_path / "env", {"tool-2.0": ["../../../bin/tool"]})
    kept = str(env / "bin" / "tool")
    gone = str(env / "bin" / "removed")
    assert dists.still_listed(env, [kept, gone]) == {kept}
    assert dists.still_listed(env, []) == set()
