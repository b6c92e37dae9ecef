"""What uv's options mean for which dists it removes: the options of `uv sync` forwarded to the
dry-run that says so, and those whose answer depends on the index (never cached).

Slow path only (after uv's dry-run has been started, or for a verdict): nothing here is needed to
parse argv.
"""

from __future__ import annotations

from . import uvargs

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .uvargs import Invocation

# Every option of `uv sync` (but those that change its output or what it checks) that `uv sync`
# and `uv run` share: forwarded to the `uv sync --dry-run` that says which dists uv would remove.
SYNC_FORWARD = uvargs.VALUE["sync"] - {"--output-format", "--script"} | {
    "--active", "--no-active", "--all-extras", "--all-groups", "--all-packages",
    "--compile-bytecode", "--frozen", "--inexact", "--exact", "--locked", "--managed-python",
    "--no-binary", "--no-build", "--no-build-isolation", "--no-cache", "--no-config",
    "--no-default-groups", "--no-dev", "--dev", "--no-editable", "--no-index",
    "--no-install-local", "--no-install-project", "--no-install-workspace",
    "--no-managed-python", "--no-python-downloads", "--no-require-build-hashes", "--no-sources",
    "--offline", "--only-dev", "--refresh", "--reinstall", "--require-build-hashes",
    "--system-certs", "--upgrade", "--preview", "--no-preview", "-n", *uvargs.GLOBAL_VALUE,
} - {"--color"}  # fmt: skip

# Options whose answer to "which dists go" depends on the index, not only on local files: a
# "nothing to remove" verdict made with one of them is never cached.
INDEX_DEPENDENT = (
    "--upgrade", "-U", "--upgrade-package", "-P", "--upgrade-group", "--reinstall",
    "--reinstall-package", "--force-reinstall", "--refresh", "--refresh-package",
)  # fmt: skip


def index_dependent(inv: Invocation) -> bool:
    return inv.flag(*INDEX_DEPENDENT)


def pip_dry_run(inv: Invocation) -> list[str]:
    """`uv pip …` asked as itself with `--dry-run`, never quiet (uv would print no summary)."""
    argv = [*inv.argv[: inv.sub_at + 1], "--dry-run", *inv.argv[inv.sub_at + 1 :]]
    return [a for a in argv if a != "--quiet" and not (a[:2] == "-q" and a.strip("-q") == "")]


def forward(inv: Invocation, names: frozenset[str], command: str) -> list[str]:
    """`inv`'s options among `names`, spelled for `uv COMMAND` (every value, in order). A value
    option given without its value is left out: uv itself reports it, the dry-run must not fail
    on it first."""
    takes_value = uvargs.VALUE.get(command, frozenset()) | uvargs.GLOBAL_VALUE
    args: list[str] = []
    for name, values in inv.options.items():
        for value in values if name in names else ():
            if value is not None:
                args += [f"{name}={value}"] if name.startswith("--") else [name, value]
            elif name not in takes_value:
                args.append(name)
    return args
