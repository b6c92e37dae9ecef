"""What the shell hooks cost per prompt, measured inside each real shell.

    python -m venvshim.hookcost [--shell bash|zsh|fish ...] [-n 5000] [--hooks DIR] [--json]

Sources hooks/venvshim.<shell>, then times N calls of its per-prompt function against N calls of
an empty function in the same shell (bash and zsh with $EPOCHREALTIME, fish with two `date`
calls outside the loops) and reports microseconds per prompt: the common path, with the shim
directory already first on PATH and the gc interval not yet due. The benchmark
(tests/bench/bench.py) can call `measure()`; its pty rows measure the same from the outside.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PROMPT_FUNCTION = {
    "bash": "__venvshim_prompt",
    "zsh": "__venvshim_precmd",
    "fish": "__venvshim_prompt",
}

_SCRIPTS = {
    "bash": """
source "$VS_HOOK"
__vs_empty() { :; }
__vs_empty; __venvshim_prompt
t0=$EPOCHREALTIME
for ((i = 0; i < VS_N; i++)); do __vs_empty; done
t1=$EPOCHREALTIME
for ((i = 0; i < VS_N; i++)); do __venvshim_prompt; done
t2=$EPOCHREALTIME
echo "$t0 $t1 $t2"
""",
    "zsh": """
zmodload zsh/datetime
source "$VS_HOOK"
__vs_empty() { :; }
__vs_empty; __venvshim_precmd
t0=$EPOCHREALTIME
for ((i = 0; i < VS_N; i++)); do __vs_empty; done
t1=$EPOCHREALTIME
for ((i = 0; i < VS_N; i++)); do __venvshim_precmd; done
t2=$EPOCHREALTIME
echo "$t0 $t1 $t2"
""",
    "fish": """
source "$VS_HOOK"
function __vs_empty; end
__vs_empty; __venvshim_prompt
set -l r (seq $VS_N)
set -l t0 (date +%s.%N)
for i in $r; __vs_empty; end
set -l t1 (date +%s.%N)
for i in $r; __venvshim_prompt; end
set -l t2 (date +%s.%N)
echo $t0 $t1 $t2
""",
}


@dataclass
class Cost:
    shell: str
    calls: int
    hook_us: float  # per call of the prompt function
    empty_us: float  # per call of an empty function (the shell's own call overhead)

    @property
    def cost_us(self) -> float:
        return max(0.0, self.hook_us - self.empty_us)

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "cost_us": round(self.cost_us, 2)}


def default_hooks() -> Path:
    from .integrate import shipped_hooks

    return shipped_hooks()


def measure(
    shell: str,
    *,
    hooks: Path | None = None,
    n: int = 5000,
    env: Mapping[str, str] | None = None,
    exe: str | None = None,
) -> Cost:
    """Per-call cost of the hook's prompt function in `shell` (the executable: `exe` or PATH)."""
    exe = exe or shutil.which(shell)
    if exe is None:
        raise FileNotFoundError(f"{shell} is not installed")
    hook = (hooks or default_hooks()) / f"venvshim.{shell}"
    with tempfile.TemporaryDirectory(prefix="venvshim-hookcost-") as tmp:
        shim_dir = Path(tmp) / "shim bin"
        shim_dir.mkdir()
        (Path(tmp) / "state").mkdir()
        base = dict(os.environ if env is None else env)
        base.pop("VENVSHIM_PYTHON", None)  # never start a real gc while measuring
        base.update(
            VS_HOOK=str(hook),
            VS_N=str(n),
            VENVSHIM_SHIM_DIR=base.get("VENVSHIM_SHIM_DIR") or str(shim_dir),
            VENVSHIM_HOME=base.get("VENVSHIM_HOME") or str(Path(tmp) / "state"),
        )
        flag = {"bash": "--norc", "zsh": "-f", "fish": "--no-config"}[shell]
        argv = [exe, flag, "-c", _SCRIPTS[shell]]
        out = subprocess.run(
            argv, env=base, capture_output=True, text=True, timeout=120, check=True
        )
    t0, t1, t2 = (float(x) for x in out.stdout.split()[-3:])
    return Cost(shell, n, (t2 - t1) / n * 1e6, (t1 - t0) / n * 1e6)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m venvshim.hookcost", description=__doc__)
    parser.add_argument("--shell", action="append", choices=sorted(PROMPT_FUNCTION))
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--hooks", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    costs = []
    for shell in args.shell or sorted(PROMPT_FUNCTION):
        if shutil.which(shell) is None:
            continue
        costs.append(measure(shell, hooks=args.hooks, n=args.n))
    if args.json:
        print(json.dumps([c.to_json() for c in costs], indent=2))
    else:
        for c in costs:
            print(
                f"{c.shell:5} {c.cost_us:7.1f} us per prompt "
                f"(hook {c.hook_us:.1f} us, empty function {c.empty_us:.1f} us, n={c.calls})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
