"""What decision.py answers: a Plan (KEEP or REPLACE, decision's constants) for the environment
a command targets (a Target). Plain data, no dataclasses (they pull in `inspect`); imported only
once a command is known to need a decision, off the sh front end's hot path.
"""

from __future__ import annotations

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from .askuv import Changes
    from .envstate import EnvState


class Target:
    """The environment a command targets (`env_path`, as the project names it) and the
    fingerprint key of the question."""

    __slots__ = ("env_path", "key")

    def __init__(self, env_path: Path, key: str) -> None:
        self.env_path = env_path
        self.key = key

    def __repr__(self) -> str:
        return f"Target({self.env_path})"


class Plan:
    """The answer: KEEP (hand over to uv) or REPLACE `current` (tombstone it first).

    `reason` says why (cached, use, create, replace, remnant, --clear, ...); "unsure" when no way
    of asking could tell and the env is protected anyway. With KEEP, `removes` says that dists in
    `env_path` may be removed or replaced: `changes` names them (None: any of them).
    """

    __slots__ = (
        "action", "cache_key", "changes", "current", "env_path", "reason", "removes", "said",
    )  # fmt: skip

    def __init__(
        self,
        action: str,
        reason: str,
        *,
        env_path: Path | None = None,
        current: EnvState | None = None,
        cache_key: str | None = None,
        said: str = "",
        removes: bool = False,
        changes: Changes | None = None,
    ) -> None:
        self.action = action
        self.removes = removes
        self.changes = changes
        self.reason = reason
        self.env_path = env_path
        self.current = current
        self.cache_key = cache_key
        self.said = said

    @property
    def unsure(self) -> bool:
        return self.reason == "unsure"

    def __repr__(self) -> str:
        return f"Plan({self.action}/{self.reason}, {self.current or self.env_path})"
