"""The Windows shim: a real `uv.exe` (never a .cmd, which cmd.exe and some editors treat
differently) that starts venvshim in front of the real uv.

The file is distlib's console launcher (`t64.exe`, the one pip's ScriptMaker uses), followed by a
`#!` line naming the Python of venvshim's own environment, followed by a zip archive holding
`__main__.py`; the launcher runs that Python on the archive. It is assembled here rather than
through ScriptMaker because ScriptMaker only writes launchers when run on Windows, and this way the
exact bytes are tested on every OS.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import NoReturn

MAIN_PY = """\
# venvshim-shim: uv.exe written by `venvshim install`; run `venvshim install` again to update it.
import sys
from venvshim.integration.winshim import main
sys.exit(main())
"""


def launcher_name(machine: str, pointer_bytes: int) -> str:
    if machine.lower() in ("arm64", "aarch64"):
        return "t64-arm.exe"
    return "t64.exe" if pointer_bytes == 8 else "t32.exe"


def build_exe(*, python: str, launcher: bytes) -> bytes:
    executable = f'"{python}"' if " " in python else python
    shebang = b"#!" + executable.encode("utf-8") + b"\n"
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as zf:
        # A fixed date: the same install writes the same bytes.
        zf.writestr(zipfile.ZipInfo("__main__.py", date_time=(2020, 1, 1, 0, 0, 0)), MAIN_PY)
    return launcher + shebang + stream.getvalue()


def distlib_launcher(name: str) -> bytes:
    try:
        return resources.files("distlib").joinpath(name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        from ..errors import VenvshimError

        raise VenvshimError(
            f"distlib's launcher {name} is missing",
            hint="reinstall venvshim (`uv tool install --reinstall venvshim`): it needs distlib",
        ) from exc


def write_exe(target: Path, data: bytes) -> None:
    """Replace uv.exe even while a copy of it runs: Windows lets a running exe be renamed."""
    from ..fs import write_atomic

    write_atomic(target, data, mode=0o755, running_ok=True)


def install_exe(shim_dir: Path, *, python: str) -> Path:
    import platform
    import struct

    name = launcher_name(platform.machine(), struct.calcsize("P"))
    data = build_exe(python=python, launcher=distlib_launcher(name))
    target = shim_dir / "uv.exe"
    write_exe(target, data)
    return target


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """uv.exe's entry point: find the real uv (never this exe), then hand over to venvshim."""
    from ..errors import VenvshimError
    from ..intercept.entry import main as entry_main
    from ..intercept.realuv import find_real_uv

    args = list(sys.argv[1:] if argv is None else argv)
    me = Path(sys.argv[0])
    if not me.suffix:
        me = me.with_suffix(".exe")
    try:
        real_uv = find_real_uv(env=os.environ, skip=me)
    except VenvshimError as exc:
        exc.report()
        sys.exit(2)
    entry_main([str(real_uv), str(me), os.getcwd(), *args])
