"""Tombstone a tool environment that uv will delete (`uv tool uninstall`, `install --force`,
another Python), and afterwards put it back unless uv made a working one.

uv resolves before it deletes (crates/uv/src/commands/tool/install.rs), and a running tool on
Windows makes its in-place deletion fail half-way ("malformed tool"). So the shim renames
`<tool dir>/<tool>` into the tool dir's venvshim-owned sibling (registry.place: a directory
inside the tool dir would be taken by uv for a tool) and leaves a *stub* in its place: the
receipt, `uv.lock`, `pyvenv.cfg` and the interpreter links, the parts uv reads to decide, so that
uv takes exactly the path it would have taken (same receipt, same interpreter check, same
messages), then deletes the stub instead of the environment. A marker file in the stub names
the tombstone.

After uv (`settle`), per tool:
  * the stub is untouched (uv failed before deleting it, or never got to this tool): the stub goes
    and the environment is renamed back, exactly as it was;
  * uv replaced it and wrote a receipt (it writes the receipt last): done, gc collects the old one;
  * `<tool dir>/<tool>` is gone: after `uninstall` that is the point; after an install or upgrade
    uv removed the environment it failed to sync, so the old one goes back;
  * uv made an environment but no receipt (it failed after deleting the old one): that one is
    moved aside (a tombstone of its own) and the old one goes back.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import VenvshimError
from ..fs import rename_with_retry
from ..state import StateRoot
from ..tombstones.registry import ACTIVE, TOOL, Record, Registry
from . import swap

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

MARKER = ".venvshim-stub"
RECEIPT = "uv-receipt.toml"
STUB_FILES = ("pyvenv.cfg", RECEIPT, "uv.lock")


def _receipt_stamp(stub: Path) -> list[int] | None:
    try:
        st = os.stat(stub / RECEIPT)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _make_stub(tomb: Path, stub: Path, record: Record) -> None:
    stub.mkdir()
    for name in STUB_FILES:
        if (tomb / name).is_file():
            shutil.copyfile(tomb / name, stub / name)
    for scripts in ("bin", "Scripts"):
        try:
            names = [n for n in os.listdir(tomb / scripts) if n.lower().startswith("python")]
        except OSError:
            continue
        (stub / scripts).mkdir()
        for name in names:
            source = tomb / scripts / name
            if source.is_symlink():
                os.symlink(os.readlink(source), stub / scripts / name)
            elif source.is_file():
                shutil.copyfile(source, stub / scripts / name)
                shutil.copymode(source, stub / scripts / name)
    marker = {"id": record.id, "receipt": _receipt_stamp(stub)}
    (stub / MARKER).write_text(json.dumps(marker), encoding="utf-8")


def _marker(stub: Path) -> dict[str, object] | None:
    try:
        data = json.loads((stub / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def tombstone(
    state: StateRoot, env_dir: Path, *, tool_dir: Path, label: str, env: Mapping[str, str]
) -> Record:
    """Rename the tool environment into the tool area and leave a stub; or raise, leaving it
    exactly as it was (swap.CannotMove names who holds it)."""
    swap._wait_env_lock_free(tool_dir, env)  # uv holds `<tool dir>/.lock` while it works
    real = Path(os.path.realpath(env_dir))
    registry = Registry(state)
    record = registry.new(real, os.lstat(real), kind=TOOL, label=label)
    try:
        registry.save(record)
    except OSError as exc:
        raise VenvshimError(
            f"cannot write venvshim's record of the tombstone under `{state.home}`: "
            f"{exc.strerror or exc}; nothing was moved",
            hint="free some space there (or fix its permissions), or set VENVSHIM_HOME to a "
            "writable directory; VENVSHIM_DISABLE=1 runs uv without venvshim",
        ) from exc
    try:
        _into_area(real, Path(record.path))
    except OSError as exc:
        registry.forget(record)
        raise swap.CannotMove(real, exc) from exc
    record.state = ACTIVE
    try:
        registry.save(record)
    except OSError:
        pass  # the PENDING record names the tombstone too
    try:
        _make_stub(Path(record.path), real, record)
    except BaseException:
        _back(record, real, registry)
        raise
    return record


def _into_area(source: Path, tomb: Path) -> None:
    for attempt in (1, 2):
        os.makedirs(tomb.parent, mode=0o700, exist_ok=True)
        try:
            rename_with_retry(source, tomb)
            return
        except FileNotFoundError:
            if attempt == 2 or not os.path.lexists(source):
                raise  # else a gc removed the empty tool area just now: make it again, once


def _back(record: Record, real: Path, registry: Registry) -> bool:
    """Remove whatever is at `real` if it is our stub, then rename the tombstone back."""
    marker = _marker(real)
    if marker is not None and marker.get("id") == record.id:
        shutil.rmtree(real)
    elif real.is_dir() and not real.is_symlink() and not os.listdir(real):
        real.rmdir()
    if os.path.lexists(real):
        return False
    try:
        if not record.identity_matches(os.lstat(record.path)):
            return False
        os.rename(record.path, real)
    except OSError:
        return False
    registry.forget(record)
    return True


def _has_dists(env_dir: Path) -> bool:
    from ..tombstones.dists import installed

    return bool(installed(env_dir))


def settle(record: Record, state: StateRoot, *, uninstall: bool) -> str:
    """Decide, after uv, between the old environment and what uv made (see the module doc).
    Returns restored | replaced | removed | kept-stub (uv used the stub as the environment)."""
    import sys

    registry = Registry(state)
    real = Path(record.original)
    marker = _marker(real)
    if marker is not None and marker.get("id") == record.id:
        if not _has_dists(real):
            return "restored" if _back(record, real, registry) else "kept"
        if _receipt_stamp(real) != marker.get("receipt"):
            (real / MARKER).unlink(missing_ok=True)
            return "kept-stub"
    elif not os.path.lexists(real):
        if uninstall:
            return "removed"
        return "restored" if _back(record, real, registry) else "kept"
    elif (real / RECEIPT).is_file():
        return "replaced"
    # uv made an environment there and failed before writing its receipt: keep it aside.
    failed = registry.new(real, os.lstat(real), kind=TOOL, label=f"{record.label} (left by uv)")
    try:
        registry.save(failed)
        _into_area(real, Path(failed.path))
    except OSError as exc:
        registry.forget(failed)
        print(f"warning: venvshim: could not put back `{real}`: {exc}", file=sys.stderr)
        return "kept"
    failed.state = ACTIVE
    registry.save(failed)
    return "restored" if _back(record, real, registry) else "kept"


def recover(record: Record, state: StateRoot) -> bool:
    """gc, for a tool tombstone whose shim is gone: if its stub is still in place untouched (the
    shim died before uv deleted it), put the environment back. True when restored."""
    real = Path(record.original)
    marker = _marker(real)
    if marker is None or marker.get("id") != record.id or _has_dists(real):
        return False
    return _back(record, real, Registry(state))
