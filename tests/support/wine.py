"""Windows programs under Wine, for the Wine tests (tests/wine/) and the Wine benchmark rows.

Standard library only, so `.ci/run` can run it as a script before the test venv matters:

    python tests/support/wine.py fetch-uv [CACHE_DIR]   # prints the path of the Windows uv.exe

What it knows (../shared/research/wine-lane.md): Debian's `wine64` (8.0, no wine32) runs a
program as `/usr/lib/wine/wine64 prog.exe`; `WINEPREFIX` points at a prefix (created on first
use, ~10 s), `WINEDEBUG=-all` silences it, `WINEPATH` is prepended to the Windows PATH, and a
unix path `/a/b` is `Z:\\a\\b` inside. Wine 8.0 lacks `ProcessPrng` (bcryptprimitives.dll), which
Rust programs such as uv.exe import: `processprng.c` here, built with mingw, goes next to uv.exe.
The real uv.exe comes from the `win_amd64` wheel of the uv version pinned in pyproject's `test`
extra (`pip download`), cached in `.ci/cache/` of the checkout (gitignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SUPPORT = Path(__file__).resolve().parent
CACHE = REPO / ".ci" / "cache"
MINGW = "x86_64-w64-mingw32-gcc"


def find_wine() -> Path | None:
    for candidate in ("/usr/lib/wine/wine64", shutil.which("wine64")):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def find_wineserver(wine: Path) -> Path | None:
    for candidate in (str(wine.parent / "wineserver"), shutil.which("wineserver")):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def find_mingw() -> str | None:
    return shutil.which(os.environ.get("VENVSHIM_MINGW_CC", MINGW))


def pinned_uv_version() -> str:
    m = re.search(r'"uv==([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"))
    if not m:
        raise RuntimeError("pyproject.toml pins no uv==X in the test extra")
    return m.group(1)


def windows_uv_exe(cache: Path = CACHE, *, fetch: bool = True) -> Path | None:
    """The real Windows uv.exe: VENVSHIM_TEST_UV_EXE, else the cache, else fetched into it."""
    explicit = os.environ.get("VENVSHIM_TEST_UV_EXE")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    version = pinned_uv_version()
    target = cache / f"uv-{version}-win_amd64" / "uv.exe"
    if target.is_file() or (fetch and fetch_uv(version, target)):
        return target
    return None


def fetch_uv(version: str, target: Path) -> bool:
    """`pip download` uv's win_amd64 wheel and take `*.data/scripts/uv.exe` out of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--platform", "win_amd64", f"uv=={version}", "-d", tmp],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("uv-*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            print(proc.stderr, file=sys.stderr)
            return False
        with zipfile.ZipFile(wheels[0]) as zf:
            name = f"uv-{version}.data/scripts/uv.exe"
            (Path(tmp) / "uv.exe").write_bytes(zf.read(name))
        os.replace(Path(tmp) / "uv.exe", target)
    return True


def build(
    source: Path, out: Path, *, shared: bool = False, libs: Sequence[str] = (), cc: str = MINGW
) -> Path:
    """Compile a test program (or DLL) with mingw, warnings as errors."""
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-municode", "-s"]
    if shared:
        argv.remove("-municode")
        argv.append("-shared")
    argv += ["-o", str(out), str(source), *libs]
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return out


def build_prng_stub(out_dir: Path, cc: str = MINGW) -> Path:
    """bcryptprimitives.dll with ProcessPrng, to put next to a uv.exe."""
    return build(
        SUPPORT / "processprng.c",
        out_dir / "bcryptprimitives.dll",
        shared=True,
        libs=["-ladvapi32"],
        cc=cc,
    )


def to_windows(path: Path | str) -> str:
    """A unix path as Wine's programs see it (drive Z: is /)."""
    return "Z:" + os.path.abspath(path).replace("/", "\\")


def to_unix(path: str) -> str:
    """Wine's `Z:\\a\\b` back to `/a/b` (the only drive the tests use)."""
    if not re.match(r"[Zz]:\\", path):
        raise ValueError(f"not a Z: path: {path!r}")
    return path[2:].replace("\\", "/")


def wine_env(prefix: Path, home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment for wine64: the prefix, silence, no Mono/Gecko installers, and no
    HID/USB bus drivers (they poll for devices, ~2.5% of a core for as long as the server
    lives, which the benchmark would measure)."""
    env = {
        "WINEPREFIX": str(prefix),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=;winebus.sys,wineusb.sys,winehid.sys=d",
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    env.update(extra or {})
    return env


def main(argv: Sequence[str]) -> int:
    if len(argv) >= 1 and argv[0] == "fetch-uv":
        cache = Path(argv[1]) if len(argv) > 1 else CACHE
        exe = windows_uv_exe(cache, fetch=True)
        if exe is None:
            print("error: could not download uv's win_amd64 wheel", file=sys.stderr)
            return 1
        print(exe)
        return 0
    print("usage: python tests/support/wine.py fetch-uv [CACHE_DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
