"""Row ref: pyenv's bash shim, `python3 -c pass` through it vs the binary it resolves.

For reference only (no target); left out when pyenv is not installed.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.harness import BenchError, Row, Sizes, interleaved, med, run_ok, run_timed
from tests.bench.sandbox import Sandbox
from tests.support import tools


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    root = tools.pyenv_root()
    shim = root / "shims" / "python3"
    pyenv = root / "libexec" / "pyenv"
    if not shim.is_file() or not pyenv.is_file():
        return []
    env = {
        "PATH": f"{root / 'shims'}:{root / 'bin'}:/usr/bin:/bin",
        "HOME": str(Path.home()),
        "PYENV_ROOT": str(root),
        "LANG": "C.UTF-8",
    }
    try:
        real = run_ok([pyenv, "which", "python3"], env=env, cwd=sb.root).stdout.strip()
    except BenchError as exc:
        return [Row("ref", "pyenv shim python3 -c pass", status="n/a", note=str(exc)[:300])]

    def via_shim() -> float:
        return run_timed([shim, "-c", "pass"], env=env, cwd=sb.root).seconds

    def direct() -> float:
        return run_timed([real, "-c", "pass"], env=env, cwd=sb.root).seconds

    for _ in range(2):
        via_shim()
        direct()
    n = sizes.pick(9, 31)
    td, ts = interleaved(n, direct, via_shim)
    return [
        Row(
            "ref",
            "pyenv shim: python3 -c pass vs the binary",
            base=med(td),
            shim=med(ts),
            n=n,
            note=f"for reference only: {shim} vs {real}; "
            f"overhead {(med(ts) - med(td)) * 1000:.0f} ms per call",
        )
    ]
