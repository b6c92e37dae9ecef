"""Windows rows of the benchmark, under Wine: the native front end (uv.exe) against plain uv.exe.

    python tests/bench/wine_rows.py [--quick] [--pairs N]

  w1  `uv --version` (not intercepted): the front end finds the real uv and runs it as a child
  w2  `uv version --short` in a project, intercepted and served by a cached "keep" verdict
      (the front end reads and checks the verdict file, no Python)
Target for both: median ratio <= 1.5 (one extra process is the floor on Windows).

Self-contained (a temporary WINEPREFIX, a persistent wineserver, the shim written by
`venvshim install --platform windows`, the real Windows uv.exe of the pinned version with the
ProcessPrng stub beside it); needs wine64 and mingw-w64 (tests/support/wine.py). Runs the sides
as alternating A/B pairs, prints medians and ratios, and exits 1 if a target is missed or a row
could not be measured. `measure()` gives them to bench.py's table (`bench.py --only wine`; not in
its default run). Not a pytest module: timing assertions stay out of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script: tests.support is imported from the checkout

from tests.bench.harness import BenchError, Row, Sizes, interleaved, spread  # noqa: E402
from tests.bench.sandbox import Sandbox  # noqa: E402
from tests.support import wine as winesupport  # noqa: E402
from venvshim.intercept import winverdicts  # noqa: E402

TARGET = 1.5


class Result:
    def __init__(self, key: str, what: str, plain: list[float], shim: list[float]) -> None:
        self.key, self.what, self.plain, self.shim = key, what, plain, shim

    @property
    def ratio(self) -> float:
        return statistics.median(self.shim) / statistics.median(self.plain)

    @property
    def ok(self) -> bool:
        return self.ratio <= TARGET


def _timed(argv: Sequence[str], env: Mapping[str, str], cwd: Path, expect: bytes) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not proc.stdout.startswith(expect):
        raise RuntimeError(
            f"{argv} exited {proc.returncode}: {proc.stdout[-300:]!r} {proc.stderr[-800:]!r}"
        )
    return elapsed


def rows(pairs: int = 41) -> list[Result]:
    wine = winesupport.find_wine()
    cc = winesupport.find_mingw()
    uv_exe = winesupport.windows_uv_exe()
    if wine is None or cc is None or uv_exe is None:
        raise RuntimeError("needs wine64, x86_64-w64-mingw32-gcc and the Windows uv.exe")
    server = winesupport.find_wineserver(wine)
    assert server is not None
    with tempfile.TemporaryDirectory(prefix="venvshim-wine-bench-") as tmp:
        root = Path(tmp)
        (root / "prefix").mkdir()
        (root / "home").mkdir()
        env = winesupport.wine_env(root / "prefix", root / "home")
        try:
            subprocess.run([str(server), "-p"], env=env, check=True, timeout=60)
            subprocess.run(
                [str(wine), "wineboot", "-i"], env=env, check=True, timeout=600,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            return _measure(root, env, wine, cc, uv_exe, pairs)
        finally:
            subprocess.run([str(server), "-k"], env=env, capture_output=True, timeout=60)


def _measure(
    root: Path, env: dict[str, str], wine: Path, cc: str, uv_exe: Path, pairs: int
) -> list[Result]:
    uv_dir, shim = root / "uv", root / "shim"
    uv_dir.mkdir()
    shutil.copy2(uv_exe, uv_dir / "uv.exe")
    winesupport.build_prng_stub(uv_dir, cc=cc)
    subprocess.run(
        [sys.executable, "-m", "venvshim", "install", "--shim-dir", str(shim),
         "--no-modify-path", "--platform", "windows"],
        check=True, capture_output=True,
    )  # fmt: skip
    plain_env = {**env, "WINEPATH": winesupport.to_windows(uv_dir)}
    shim_env = {**env, "WINEPATH": f"{winesupport.to_windows(shim)};{plain_env['WINEPATH']}"}
    # Warm both (page cache, the server's view of the files).
    for _ in range(3):
        _timed([str(wine), str(uv_dir / "uv.exe"), "--version"], plain_env, root, b"uv ")
        _timed([str(wine), str(shim / "uv.exe"), "--version"], shim_env, root, b"uv ")
    results = []
    plain, via = interleaved(
        pairs,
        lambda: _timed([str(wine), str(uv_dir / "uv.exe"), "--version"], plain_env, root, b"uv "),
        lambda: _timed([str(wine), str(shim / "uv.exe"), "--version"], shim_env, root, b"uv "),
    )
    results.append(Result("w1", "`uv --version` (not intercepted)", plain, via))

    proj = root / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1.0"\n')
    hour_ago = time.time() - 3600
    for path in (proj / "pyproject.toml", uv_dir / "uv.exe"):
        os.utime(path, (hour_ago, hour_ago))
    standin = winesupport.build(
        winesupport.SUPPORT / "argv_standin.c", root / "standin" / "standin.exe", cc=cc
    )
    dump = subprocess.run(
        [str(wine), str(standin)], env={**shim_env, "STANDIN_ENV": "1"}, cwd=proj,
        capture_output=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    win_env = {}
    for line in dump.decode("ascii").splitlines():
        text = bytes.fromhex(line.partition(" ")[2]).decode("utf-16-le")
        name, _, value = text.partition("=")
        if name:
            win_env[name.upper()] = value
    argv = ["version", "--short"]
    z = winesupport.to_windows
    if not winverdicts.record_keep(
        root / "home" / "state", pwd=z(proj), argv=argv, env=win_env,
        real_uv=z(uv_dir / "uv.exe"), watched=[z(proj / "pyproject.toml")],
        stat=lambda p: os.stat(winesupport.to_unix(p)),
    ):  # fmt: skip
        raise RuntimeError("could not record the verdict")
    shim_env["VENVSHIM_HOME"] = z(root / "home" / "state")
    plain, via = interleaved(
        pairs,
        lambda: _timed([str(wine), str(uv_dir / "uv.exe"), *argv], plain_env, proj, b"0.1.0"),
        lambda: _timed([str(wine), str(shim / "uv.exe"), *argv], shim_env, proj, b"0.1.0"),
    )
    results.append(Result("w2", "`uv version --short`, cached keep (intercepted)", plain, via))
    return results


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    """w1 and w2 as rows of bench.py's table; n/a without Wine, mingw or the Windows uv.exe."""
    what = {"w1": "Wine: uv --version (not intercepted)", "w2": "Wine: uv version, cached keep"}
    missing = [
        name
        for name, found in (
            ("wine64", winesupport.find_wine()),
            ("mingw-w64", winesupport.find_mingw()),
            ("the Windows uv.exe", winesupport.windows_uv_exe()),
        )
        if found is None
    ]
    if missing:
        status = f"n/a (needs {', '.join(missing)})"
        return [Row(key, text, status=status, target=TARGET) for key, text in what.items()]
    try:
        results = rows(sizes.pick(15, 41))
    except RuntimeError as exc:
        raise BenchError(str(exc)) from exc
    return [
        Row(
            r.key,
            what.get(r.key, r.what),
            base=statistics.median(r.plain),
            shim=statistics.median(r.shim),
            target=TARGET,
            n=len(r.plain),
            note=f"under wine64; spread plain {spread(r.plain)}, shim {spread(r.shim)}",
        )
        for r in results
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 pairs a row instead of 41")
    parser.add_argument("--pairs", type=int, help="pairs a row")
    args = parser.parse_args(argv)
    pairs = args.pairs or (15 if args.quick else 41)
    try:
        results = rows(pairs)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"error: the Wine rows could not be measured: {exc}", file=sys.stderr)
        return 1
    print(f"| row | what | plain | shim | ratio | target |  ({pairs} pairs, medians, wine64)")
    print("|---|---|---|---|---|---|")
    for r in results:
        plain, shim = statistics.median(r.plain) * 1e3, statistics.median(r.shim) * 1e3
        mark = "" if r.ok else "  MISSED"
        print(
            f"| {r.key} | {r.what} | {plain:.1f} ms | {shim:.1f} ms | {r.ratio:.2f} | "
            f"<= {TARGET}{mark} |"
        )
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
