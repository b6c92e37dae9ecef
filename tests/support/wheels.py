"""Build small wheels for end-to-end tests, offline: a package whose script is a native
executable (as ruff's is), in the versions a test needs, written to a find-links directory.

A wheel is a zip with a `.dist-info` (METADATA, WHEEL, RECORD); files under
`<name>-<version>.data/scripts/` are installed into the environment's `bin/` (`Scripts\\` on
Windows) with their mode, so a compiled program put there runs as the package's entry point.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    scripts: dict[str, bytes] | None = None,
    modules: dict[str, bytes] | None = None,
    requires: tuple[str, ...] = (),
) -> Path:
    """Write `<name>-<version>-py3-none-any.whl` into `dest`. `scripts` go to the env's bin
    directory (mode 0755), `modules` (paths relative to site-packages) to site-packages."""
    dist = name.replace("-", "_")
    files: dict[str, tuple[bytes, int]] = {
        f"{dist}/__init__.py": (f'__version__ = "{version}"\n'.encode(), 0o644),
    }
    for rel, data in (modules or {}).items():
        files[rel] = (data, 0o755 if rel.endswith((".so", ".pyd", ".dll")) else 0o644)
    for script, data in (scripts or {}).items():
        files[f"{dist}-{version}.data/scripts/{script}"] = (data, 0o755)
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files[f"{info}/METADATA"] = (metadata.encode(), 0o644)
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        0o644,
    )
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, (data, _) in files.items())
    record += f"{info}/RECORD,,\n"
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, (data, mode) in [*files.items(), (f"{info}/RECORD", (record.encode(), 0o644))]:
            entry = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return wheel


def native_tool_wheels(
    dest: Path, holder: Path, versions: tuple[str, ...] = ("1.0", "2.0")
) -> Path:
    """`nativetool` in each version: its script `nt-sleep` is the compiled holder program
    (tests/support/ntfsemu.py) with the version appended (trailing bytes an ELF loader ignores),
    so which version a running process executes can be read from its file."""
    program = holder.read_bytes()
    for version in versions:
        build_wheel(
            dest,
            "nativetool",
            version,
            scripts={"nt-sleep": program + f"\nnativetool-{version}\n".encode()},
        )
    return dest
