"""Rows 1a, 1b: subcommands the shim does not intercept, through plain uv and through the shim."""

from __future__ import annotations

from tests.bench.harness import Row, Sizes
from tests.bench.sandbox import Sandbox, uv_pair


def measure(sb: Sandbox, sizes: Sizes) -> list[Row]:
    project = sb.healthy_project()
    n = sizes.pick(15, 61)  # pairs of ~10 ms commands
    return [
        uv_pair(sb, project, "1a", "uv --version", ["--version"], 1.3, n),
        uv_pair(sb, project, "1b", "uv pip list", ["pip", "list"], 1.3, n),
    ]
