"""Wine lane fixtures: the Windows front end (the committed uv.exe, installed by
`venvshim install --platform windows`) in front of the real Windows uv.exe, under wine64.

One WINEPREFIX per session in a temp dir (wineboot once, ~10 s), `WINEDEBUG=-all`, and a
persistent wineserver (`wineserver -p`) so each program starts in ~0.1 s; the server is stopped
and the prefix deleted at the end. Test programs (the ProcessPrng stub, the argv-printing
stand-in for uv) are built with mingw from tests/support/*.c. A missing wine64, mingw or
Windows uv.exe skips locally and fails in CI (tests.conftest.require); everything here is marked
e2e, so CI also fails if it is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require
from tests.support import wine as winesupport
from venvshim.integration import winshim

pytestmark = pytest.mark.e2e

if not sys.platform.startswith("linux"):
    # A Linux lane: wine64 and mingw-w64 come from Debian (.ci/run). Elsewhere it is not run.
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/wine/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Wine:
    wine: Path
    root: Path  # the session's scratch directory
    env: dict[str, str]
    dirs: dict[str, Path] = field(default_factory=dict)

    def run(
        self,
        exe: Path,
        args: Sequence[str] = (),
        *,
        cwd: Path | None = None,
        path: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
        input: bytes | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[bytes]:
        """`exe ARGS` under Wine; `path`: directories put first on the Windows PATH."""
        return subprocess.run(
            [str(self.wine), str(exe), *args],
            env=self.environ(path, env),
            cwd=cwd or self.root,
            input=input if input is not None else b"",
            capture_output=True,
            timeout=timeout,
        )

    def popen(
        self,
        exe: Path,
        args: Sequence[str] = (),
        *,
        path: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(self.wine), str(exe), *args],
            env=self.environ(path, env),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def unix(self, path: str) -> Path:
        """A Windows path of this prefix (Z: or C:) as a unix path."""
        drive, rest = path[:2].upper(), path[2:].replace("\\", "/")
        if drive == "Z:":
            return Path(rest)
        assert drive == "C:", path
        return Path(self.env["WINEPREFIX"]) / "drive_c" / rest.lstrip("/")

    def environ(self, path: Sequence[Path], env: Mapping[str, str] | None) -> dict[str, str]:
        full = dict(self.env)
        if path:
            full["WINEPATH"] = ";".join(winesupport.to_windows(p) for p in path)
        full.update(env or {})
        return full


@pytest.fixture(scope="session")
def mingw() -> str:
    cc = winesupport.find_mingw()
    require(cc is not None, f"{winesupport.MINGW} (apt-get install gcc-mingw-w64-x86-64)")
    assert cc is not None
    return cc


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    exe = winesupport.find_wine()
    require(exe is not None, "wine64 (apt-get install wine64)")
    assert exe is not None
    server = winesupport.find_wineserver(exe)
    require(server is not None, "wineserver (apt-get install wine64)")
    assert server is not None
    root = tmp_path_factory.mktemp("wine")
    prefix, home = root / "prefix", root / "home"
    home.mkdir()
    prefix.mkdir()  # wineserver wants it; wineboot fills it
    env = winesupport.wine_env(prefix, home)
    log = root / "wineboot.log"
    try:
        # The server first, then wineboot with its output in a file: the services wineboot
        # starts (services.exe, explorer.exe, ...) live as long as the server and inherit the
        # standard handles of the program that started them; a test's pipe would never close.
        subprocess.run([str(server), "-p"], env=env, check=True, timeout=60)
        with log.open("wb") as fh:
            boot = subprocess.run(
                [str(exe), "wineboot", "-i"], env=env, stdin=subprocess.DEVNULL, stdout=fh,
                stderr=fh, timeout=600,
            )  # fmt: skip
        assert boot.returncode == 0, log.read_text(errors="replace")
        yield Wine(wine=exe, root=root, env=env)
    finally:
        subprocess.run([str(server), "-k"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(prefix, ignore_errors=True)  # ~700 MB


@pytest.fixture(scope="session")
def win_uv(wine: Wine, mingw: str) -> Path:
    """The real Windows uv.exe, with the ProcessPrng stub DLL beside it."""
    source = winesupport.windows_uv_exe()
    require(
        source is not None,
        "the Windows uv.exe (set VENVSHIM_TEST_UV_EXE, or let `python tests/support/wine.py "
        "fetch-uv` download it)",
    )
    assert source is not None
    directory = wine.root / "uv"
    directory.mkdir()
    target = directory / "uv.exe"
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    winesupport.build_prng_stub(directory, cc=mingw)
    return target


@pytest.fixture(scope="session")
def standin(wine: Wine, mingw: str) -> Path:
    """An argv-printing stand-in for uv, as `uv.exe` in a directory of its own; an hour old,
    like an installed uv (a verdict is never cached over a file changed in the last 2 s)."""
    exe = winesupport.build(
        winesupport.SUPPORT / "argv_standin.c", wine.root / "standin" / "uv.exe", cc=mingw
    )
    an_hour_ago = time.time() - 3600
    os.utime(exe, (an_hour_ago, an_hour_ago))
    return exe


@pytest.fixture(scope="session")
def shim_dir(wine: Wine) -> Path:
    """The shim directory exactly as `venvshim install` writes it for Windows."""
    directory = wine.root / "shim"
    subprocess.run(
        [sys.executable, "-m", "venvshim", "install", "--shim-dir", str(directory),
         "--no-modify-path", "--platform", "windows"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert (directory / "uv.exe").read_bytes() == winshim.front_exe()
    return directory


def decode(out: bytes) -> list[tuple[str, str]]:
    """The stand-in's `TAG HEX` lines as (tag, text)."""
    lines = []
    for line in out.decode("ascii").splitlines():
        tag, _, hexa = line.partition(" ")
        lines.append((tag, bytes.fromhex(hexa).decode("utf-16-le", "surrogatepass")))
    return lines


def env_of(out: bytes) -> dict[str, str]:
    """The stand-in's STANDIN_ENV=1 output as a mapping (names upper-cased, as os.environ on
    Windows does)."""
    pairs = (text.partition("=") for tag, text in decode(out) if tag == "env")
    return {name.upper(): value for name, _, value in pairs if name}


def args_of(out: bytes) -> list[str]:
    return [text for tag, text in decode(out) if tag == "arg"]


def argv0_of(out: bytes) -> str:
    (argv0,) = [text for tag, text in decode(out) if tag == "argv0"]
    return argv0.strip('"')
