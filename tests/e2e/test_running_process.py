"""What a process started from the old environment keeps after a switch, and what it does not.

Each test starts a real Python process from the project's 3.10 `.venv` (`.venv/bin/python`, as
an editor, a REPL or a kernel would be started), lets it load things, switches the project with
the real uv (`uv sync -p 3.11`), then asks the process, over a line protocol on its stdin and
stdout, what it sees at that precise moment. Modes:

* `shim-posix`: through the shim, Linux semantics. The env becomes a tombstone beside `.venv`.
* `shim-ntfs`: through the shim under the NTFS emulation (tests/support/ntfsemu.c): a file open
  or a working directory inside the env makes Windows refuse the directory rename, so the shim
  refuses the switch and changes nothing.
* `plain-uv`: the real uv alone, Linux semantics: it deletes the env in place (under the
  emulation it fails half-way, tests/e2e/test_swap.py).

The facts, each pinned in both directions (a change for the better fails a test as surely as
one for the worse):

* kept: code and data already loaded, imported extension modules (mapped), open files, a
  working directory inside the env (the shim keeps it resolving into the tombstone; plain uv
  leaves a deleted directory);
* not kept: whatever is looked up by path after the switch (lazy imports, source lines, files
  not yet open) resolves to `.venv`, which is the NEW env. On POSIX site-packages has the Python
  version in its path, so after 3.10 -> 3.11 such an import fails with ModuleNotFoundError; when
  the version stays the same (`uv venv --clear`), or on Windows (`.venv\\Lib\\site-packages`)
  always, it loads the NEW env's file into a process that still runs the old one's code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require, venv_version
from tests.e2e.conftest import status_json, synced_project, tombstones_in, venvshim
from tests.support.ntfsemu import NtfsemuKit, preload_env
from tests.support.running import (  # noqa: F401
    DRIVER,
    EXTENSION_C,
    MODES,
    PLAIN_UV,
    REPLY_TIMEOUT,
    SHIM_MODES,
    SHIM_NTFS,
    SHIM_POSIX,
    Driver,
    Scenario,
)  # fmt: skip

pytest_plugins = ["tests.support.ntfsemu"]


@pytest.fixture(scope="session")
def keepext(tmp_path_factory: pytest.TempPathFactory, pythons: dict[str, Path]) -> Path:
    """`_keepext<EXT_SUFFIX>`, a CPython 3.10 extension module built with gcc."""
    gcc = shutil.which("gcc")
    require(gcc is not None, "gcc, to build a CPython extension module")
    assert gcc is not None
    query = "import json, sysconfig; print(json.dumps([sysconfig.get_paths()['include'], "
    query += "sysconfig.get_config_var('EXT_SUFFIX')]))"
    out = subprocess.run(
        [pythons["3.10"], "-I", "-c", query], capture_output=True, text=True, check=True
    )
    include, suffix = json.loads(out.stdout)
    require(Path(include, "Python.h").is_file(), f"Python.h of CPython 3.10 in {include}")
    build = tmp_path_factory.mktemp("keepext")
    target = build / f"_keepext{suffix}"
    source = build / "keepext.c"
    source.write_text(EXTENSION_C)
    cc = subprocess.run(
        [gcc, "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-I", include, source, "-o", target],
        capture_output=True,
        text=True,
    )
    assert cc.returncode == 0 and not cc.stderr.strip(), cc.stderr
    return target


@pytest.fixture
def scenario(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    shim_env: dict[str, str],
    real_uv: Path,
    ntfsemu: NtfsemuKit,
) -> Scenario:
    """A project whose `.venv` runs 3.10 (made by the plain uv), in the mode of the test."""
    mode = request.param
    env = {**shim_env, "VENVSHIM_NO_BACKGROUND_GC": "1"}
    if mode == SHIM_NTFS:
        env = preload_env(env, ntfsemu.lib)
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proj = synced_project(tmp_path / "proj", env, str(real_uv))
    return Scenario(mode, proj, env, real_uv, script, elsewhere)


def parametrize_modes(modes: list[str]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("scenario", modes, indirect=True)


def _switched(p: Scenario, *argv: str, minor: str = "3.11") -> None:
    proc = p.switch(*argv)
    assert proc.returncode == 0, proc.stderr
    assert venv_version(p.venv) == minor
    if p.mode == PLAIN_UV:
        assert tombstones_in(p.proj) == []
    else:
        assert venv_version(p.tomb()) == "3.10"


def _refused_naming(p: Scenario, driver: Driver, what: str) -> None:
    """The emulated Windows refuses the rename: the shim changes nothing and names the holder."""
    proc = p.switch()
    assert proc.returncode == 1, proc.stderr
    assert f"pid {driver.pid}" in proc.stderr and what in proc.stderr, proc.stderr
    assert venv_version(p.venv) == "3.10"
    assert tombstones_in(p.proj) == [] and status_json(p.env, p.proj) == []


def _mapped_paths(pid: int, needle: str) -> set[str]:
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {ln.split(None, 5)[5] for ln in lines if needle in ln}


# ------------------------------------------------------------------------------ (a)


@parametrize_modes(MODES)
def test_extension_module_imported_before_keeps_working(scenario: Scenario, keepext: Path) -> None:
    p = scenario
    ext = p.site("3.10") / keepext.name
    shutil.copy2(keepext, ext)
    with p.running() as driver:
        assert driver.value("import", "_keepext") == str(ext)
        assert driver.value("call", "_keepext", "answer") == 42
        _switched(p)
        assert not any(p.venv.rglob("_keepext*"))
        # Still callable: the code is mapped from the old file.
        assert driver.value("call", "_keepext", "answer") == 42
        if p.mode == PLAIN_UV:  # unlinked, kept alive by the mapping alone
            assert _mapped_paths(driver.pid, "_keepext") == {f"{ext} (deleted)"}
        else:  # mapped from the tombstone, which is kept for it
            moved = p.tomb() / ext.relative_to(p.venv)
            assert _mapped_paths(driver.pid, "_keepext") == {str(moved)}
            assert moved.is_file()
            assert [(h["pid"], h["kind"], h["path"]) for h in p.holders()] == [
                (driver.pid, "mapped", str(moved))
            ]


# ------------------------------------------------------------------------------ (b)


@parametrize_modes(MODES)
def test_file_open_before_stays_readable(scenario: Scenario) -> None:
    p = scenario
    notes = p.venv / "notes.txt"
    notes.write_bytes(b"old env's notes\n")
    with p.running() as driver:
        driver.value("open", str(notes))
        fd_links = {os.readlink(f) for f in Path(f"/proc/{driver.pid}/fd").iterdir()}
        assert str(notes) in fd_links
        if p.mode == SHIM_NTFS:
            # Windows cannot rename a directory with a file open beneath it: no switch at all.
            _refused_naming(p, driver, "notes.txt")
            assert driver.value("read-open", str(notes)) == "old env's notes\n"
            assert driver.value("read", str(notes)) == "old env's notes\n"
            # Closing the file (the process still runs) lets the same switch through.
            driver.value("close", str(notes))
            _switched(p)
            return
        _switched(p)
        notes.write_bytes(b"new env's notes\n")  # the same path in the new env
        # The open handle reads the old bytes; opening the path again reads the new env's file.
        assert driver.value("read-open", str(notes)) == "old env's notes\n"
        assert driver.value("read", str(notes)) == "new env's notes\n"
        fd_links = {os.readlink(f) for f in Path(f"/proc/{driver.pid}/fd").iterdir()}
        if p.mode == PLAIN_UV:
            assert f"{notes} (deleted)" in fd_links
        else:
            moved = p.tomb() / "notes.txt"
            assert str(moved) in fd_links and moved.read_bytes() == b"old env's notes\n"
            assert [(h["pid"], h["kind"], h["path"]) for h in p.holders()] == [
                (driver.pid, "open", str(moved))
            ]


# ------------------------------------------------------------------------------ (c)


@parametrize_modes(MODES)
def test_working_directory_inside_env(scenario: Scenario) -> None:
    p = scenario
    data = p.venv / "data"
    data.mkdir()
    (data / "somefile").write_text("old env's file\n")
    with p.running() as driver:
        driver.value("chdir", str(data))
        assert driver.value("read", "./somefile") == "old env's file\n"
        if p.mode == SHIM_NTFS:
            # Windows cannot rename a directory that is a process's working directory (or holds
            # one): the switch is refused and the process keeps the untouched env.
            _refused_naming(p, driver, "cwd")
            assert driver.value("getcwd") == str(data)
            assert driver.value("read", "./somefile") == "old env's file\n"
            driver.value("chdir", str(p.elsewhere))  # leaving it lets the switch through
            _switched(p)
            return
        _switched(p)
        data.mkdir()
        (data / "somefile").write_text("new env's file\n")  # the same path in the new env
        if p.mode == PLAIN_UV:
            # Its working directory was deleted: relative paths resolve to nothing.
            assert os.readlink(f"/proc/{driver.pid}/cwd") == f"{data} (deleted)"
            assert driver.error("getcwd") == ("FileNotFoundError", None)
            assert driver.error("read", "./somefile") == ("FileNotFoundError", None)
        else:
            # It sits in the tombstone: relative paths still reach the old env's files.
            moved = p.tomb() / "data"
            assert driver.value("getcwd") == str(moved)
            assert driver.value("read", "./somefile") == "old env's file\n"
            assert [(h["pid"], h["kind"], h["path"]) for h in p.holders()] == [
                (driver.pid, "cwd", str(moved))
            ]
        # An absolute path names the new env, whatever the working directory.
        assert driver.value("read", str(data / "somefile")) == "new env's file\n"


# ------------------------------------------------------------------------------ (d)

EARLY_PY = '''"""Imported before the switch."""

VALUE = "old"


def hello():
    return "hello from the old env"
'''


@parametrize_modes(MODES)
def test_code_imported_before_keeps_working(scenario: Scenario) -> None:
    p = scenario
    early = p.site("3.10") / "early.py"
    early.write_text(EARLY_PY)
    with p.running() as driver:
        assert driver.value("import", "early") == str(early)
        _switched(p)
        assert driver.value("call", "early", "hello") == "hello from the old env"
        assert driver.value("attr", "early", "VALUE") == "old"
        # What the module's path names is read again: its source is no longer there (it is in
        # the tombstone, or deleted), so tracebacks and inspect lose it.
        assert driver.error("source", "early") == ("OSError", None)


# ------------------------------------------------------------------------------ (e)


def _install(site: Path, value: str, *, only_old: bool = False) -> None:
    """Pure-Python modules: `both` and the package `pkg` (with a submodule `pkg.later`) in both
    envs, with different content; `oldonly` in the old env only."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "both.py").write_text(f"VALUE = {value!r}\n")
    (site / "pkg").mkdir(exist_ok=True)
    (site / "pkg" / "__init__.py").write_text(f"VALUE = {value!r}\n")
    (site / "pkg" / "later.py").write_text(f"VALUE = {value!r}\n")
    if only_old:
        (site / "oldonly.py").write_text("VALUE = 'old'\n")


@parametrize_modes(MODES)
def test_lazy_import_after_switch_to_another_python(scenario: Scenario) -> None:
    """sys.path names `.venv/lib/python3.10/site-packages`, absent from the 3.11 env: modules
    not imported yet are not found, not even those the new env has too."""
    p = scenario
    old_site = p.site("3.10")
    _install(old_site, "old", only_old=True)
    with p.running() as driver:
        syspath = driver.value("sys.path")
        assert isinstance(syspath, list) and str(old_site) in syspath
        assert driver.value("import", "pkg") == str(old_site / "pkg" / "__init__.py")
        _switched(p)
        _install(p.site("3.11"), "new")
        assert not old_site.exists()
        assert driver.error("import", "oldonly") == ("ModuleNotFoundError", "oldonly")
        assert driver.error("import", "both") == ("ModuleNotFoundError", "both")
        # A submodule of a package imported before: its __path__ names the old env's path too.
        assert driver.error("import", "pkg.later") == ("ModuleNotFoundError", "pkg.later")
        assert driver.value("attr", "pkg", "VALUE") == "old"
        # sys.executable names `.venv/bin/python`: a child started from it runs the new env.
        assert driver.value("child-python") == "3.11"


@parametrize_modes(MODES)
def test_lazy_import_after_switch_to_the_same_python_loads_the_new_env(scenario: Scenario) -> None:
    """`uv venv --clear` with the same Python: the old path exists again, in the new env, and a
    lazy import loads the NEW env's file into a process running the old env's code. On Windows
    (`.venv\\Lib\\site-packages`, no version) this is what every switch does."""
    p = scenario
    old_site = p.site("3.10")
    _install(old_site, "old", only_old=True)
    (old_site / "early.py").write_text(EARLY_PY)
    with p.running() as driver:
        driver.value("import", "early")
        driver.value("import", "pkg")
        _switched(p, "venv", "--clear", "-p", "3.10", minor="3.10")
        _install(p.site("3.10"), "new")
        assert driver.value("import", "both") == str(old_site / "both.py")
        assert driver.value("attr", "both", "VALUE") == "new"
        assert driver.value("import", "pkg.later") == str(old_site / "pkg" / "later.py")
        assert driver.value("attr", "pkg.later", "VALUE") == "new"
        assert driver.value("attr", "pkg", "VALUE") == "old"  # imported before: old
        assert driver.value("attr", "early", "VALUE") == "old"
        assert driver.error("import", "oldonly") == ("ModuleNotFoundError", "oldonly")


# ------------------------------------------------------------------------------ (f)


@parametrize_modes(SHIM_MODES)
def test_running_process_is_listed_and_keeps_the_tombstone_until_it_exits(
    scenario: Scenario, keepext: Path
) -> None:
    """A process that only imported pure-Python code maps nothing in the env (bin/python links
    to the base interpreter): its command line names the env. One that loaded an extension
    module maps a file in the tombstone."""
    p = scenario
    (p.site("3.10") / "early.py").write_text(EARLY_PY)
    shutil.copy2(keepext, p.site("3.10") / keepext.name)
    with p.running() as pure, p.running() as native:
        pure.value("import", "early")
        native.value("import", "_keepext")
        _switched(p)
        tomb = p.tomb()
        by_pid = {h["pid"]: (h["kind"], h["path"]) for h in p.holders()}
        assert by_pid == {
            pure.pid: ("cmdline", str(p.venv / "bin" / "python")),
            native.pid: ("mapped", str(tomb / "lib/python3.10/site-packages" / keepext.name)),
        }
        (row,) = status_json(p.env, p.proj)
        assert row["path"] == str(tomb) and row["original"] == str(p.venv)
        # Named as started: `comm` is the basename execve was given, `.venv/bin/python`.
        assert sorted((h["pid"], h["name"]) for h in row["holders"]) == [
            (pid, "python") for pid in sorted((pure.pid, native.pid))
        ]
        gc = venvshim(["gc"], env=p.env, cwd=p.proj)
        assert gc.returncode == 0 and gc.stdout.startswith("Kept 1 tombstone still in use:")
        assert str(tomb) in gc.stdout, gc.stdout
        assert tomb.is_dir()
    # Both exited (and were reaped): the next gc deletes the tombstone.
    gc = venvshim(["gc"], env=p.env, cwd=p.proj)
    assert gc.returncode == 0 and gc.stdout.startswith("Removed 1 tombstone, freed "), gc.stdout
    assert not tomb.exists() and status_json(p.env, p.proj) == []
    assert venv_version(p.venv) == "3.11"


@pytest.mark.parametrize("how", ["relative-then-chdir", "through-a-symlink", "found-on-PATH"])
@parametrize_modes([SHIM_POSIX])
def test_pure_python_process_started_from_the_env_is_a_holder(scenario: Scenario, how: str) -> None:
    """On Linux a pure-Python process maps nothing in the env (bin/python links to the base
    interpreter): only how it was started tells, and these three name the env indirectly (a
    relative argv[0] from the directory a shell started it in, `$PWD`, while it has changed
    directory since; the project reached through a symlink; `python` found first on PATH in the
    env's bin). Each counts as holding the tombstone: status names it for a restart, and gc
    keeps the tombstone until it exits, though such a process uses nothing in it."""
    p = scenario
    link = p.proj.parent / "link"
    link.symlink_to(p.proj)
    (p.site("3.10") / "early.py").write_text(EARLY_PY)
    starts = {
        # as a shell starts it: PWD names the directory it was started in
        "relative-then-chdir": lambda: p.running(
            ".venv/bin/python", cwd=p.proj, extra_env={"PWD": str(p.proj)}
        ),
        "through-a-symlink": lambda: p.running(str(link / ".venv" / "bin" / "python")),
        "found-on-PATH": lambda: p.running("python", path=f"{p.venv / 'bin'}:{p.env['PATH']}"),
    }
    with starts[how]() as driver:
        syspath = driver.value("sys.path")  # it runs from the old env
        assert isinstance(syspath, list)
        site = str(p.site("3.10").relative_to(p.proj))
        expected = {str(p.site("3.10")), str(link / site)}  # through the link: as named
        assert expected & set(syspath), syspath
        driver.value("import", "early")
        driver.value("chdir", str(p.elsewhere))
        _switched(p)
        tomb = p.tomb()
        assert driver.pid in {h["pid"] for h in p.holders()}
        (row,) = status_json(p.env, p.proj)
        assert [h["pid"] for h in row["holders"]] == [driver.pid]
        gc = venvshim(["gc"], env=p.env, cwd=p.proj)
        assert gc.stdout.startswith(f"Kept 1 tombstone still in use:\n  {tomb}\n"), gc.stdout
        assert tomb.is_dir()
        # What it keeps is in memory, what it looks up is new.
        assert driver.value("call", "early", "hello") == "hello from the old env"
        assert driver.error("import", "both") == ("ModuleNotFoundError", "both")
        assert driver.value("child-python") == "3.11"
    gc = venvshim(["gc"], env=p.env, cwd=p.proj)
    assert gc.stdout.startswith("Removed 1 tombstone, freed "), gc.stdout
    assert not tomb.exists()
