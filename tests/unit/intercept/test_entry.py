"""The shim's Python half imports little, and only where it must (the import profile is part of
the shim's speed: counted, not timed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SHIM = str(Path(__file__).resolve().parents[3] / "shim")


def _modules(code: str) -> set[str]:
    probe = f"import sys; sys.path[:0] = [{SHIM!r}]; {code}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return set(out.split())


def test_the_hot_path_imports_only_what_deciding_to_exec_needs() -> None:
    """Before it is known that a command may replace an environment: no pathlib, json, re,
    subprocess, nor anything of venvshim's but the argv grammar and the decision's first step."""
    baseline = _modules("pass")
    hot = _modules("import venvshim.intercept.entry") - baseline
    ours = {m for m in hot if m.startswith("venvshim")}
    assert ours == {"venvshim", "venvshim.intercept", "venvshim.intercept.entry",
                    "venvshim.intercept.decision", "venvshim.intercept.uvargs"}  # fmt: skip
    heavy = {"pathlib", "json", "re", "subprocess", "signal", "typing", "collections.abc",
             "dataclasses", "tempfile"}  # fmt: skip
    assert not hot & heavy, hot & heavy


def test_the_decision_path_never_loads_the_heavy_libraries() -> None:
    slow = _modules("import venvshim.intercept.entry, pathlib, venvshim.intercept.handover")
    for heavy in ("psutil", "filelock", "tomllib", "tomli", "argparse", "asyncio", "hashlib"):
        assert heavy not in slow, heavy


def test_gc_and_status_import_no_dataclasses(tmp_path: Path) -> None:
    """`venvshim gc` runs after every switch and from the hooks: `dataclasses` pulls in `inspect`
    (~10 ms), which these two never need."""
    for command in ("gc", "status"):
        run = f"from venvshim.cli import main; code = main([{command!r}])"
        show = "print('loaded:', code, 'dataclasses' in sys.modules, 'inspect' in sys.modules)"
        probe = f"import sys; sys.path[:0] = [{SHIM!r}]; {run}; {show}"
        env = {"VENVSHIM_HOME": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
        out = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True,
                             text=True, env=env, check=False).stdout  # fmt: skip
        assert "loaded: 0 False False" in out, (command, out)
