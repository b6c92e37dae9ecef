"""front/build.sh is reproducible, and the committed uv.exe is what it makes of uv_windows.c.

The bytes depend on the compiler: the committed exe comes from Debian 12's mingw-w64
(12-win32). With another version this test checks reproducibility only; .ci/run compares with
the committed exe using the pinned compiler wherever it runs (in a Debian 12 container if need
be), so CI always checks both.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from venvshim.integration import winshim

FRONT = Path(winshim.__file__).resolve().parent.parent / "intercept" / "front"
PINNED = "12-win32"


def test_build_is_reproducible_and_matches_the_committed_exe(mingw: str, tmp_path: Path) -> None:
    built = []
    for where in ("one", "two/deeper dir"):
        copy = tmp_path / where / "front"
        shutil.copytree(FRONT, copy)
        out = tmp_path / f"{where.replace('/', '-')}.exe"
        proc = subprocess.run(
            ["sh", str(copy / "build.sh"), str(out)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "VENVSHIM_MINGW_CC": mingw},
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        built.append(out.read_bytes())
    assert built[0] == built[1]  # no timestamp, no path, nothing random
    assert b"venvshim-shim" in built[0][:512]  # realuv.is_shim knows a copy anywhere
    version = subprocess.run([mingw, "-dumpversion"], capture_output=True, text=True).stdout
    if version.strip() == PINNED:
        assert proc.stderr == ""  # not even a warning
        assert built[0] == winshim.front_exe(), "uv.exe is stale: run front/build.sh, commit it"
