"""Cached "keep" verdicts for the Windows front end (front/uv_windows.c), read without Python.

What fastpath.py's generated sh file is to uv.sh, this file is to uv.exe: per working directory,
`<state root>\\fast\\<key>.verdicts`, where key = 16 hex digits of FNV-1a-64 over the UTF-16LE
of the cwd exactly as the front end passed it (entry.py's PWD; GetCurrentDirectoryW), which the
file repeats and the front end compares exactly. Up to MAX_ENTRIES entries; uv.exe serves a
"keep" when one of them holds in full:
  * the argv is the one recorded (or, for a `run-generic` entry, `run CMD ...` with no uv
    option and nothing path-like or `.py` in it: generic_run);
  * the real uv found is the recorded path, string for string;
  * every decision-relevant environment variable (fastpath.FAST_ENV) has the recorded value,
    or is still unset;
  * every watched file that was absent is still absent, every present one has the very
    FILETIME mtime it had (links followed, as os.stat does).
Nothing in the file is executed. The format is line-based ASCII keywords with every string
length-prefixed (`<bytes>:<UTF-8>`), so any byte of a path or argument is data; numbers are
decimal without leading zeros; the last line is an FNV-1a-64 checksum of all before it. The
front end rejects the whole file on any deviation (wrong magic or version, a stray byte, a bad
length or checksum, invalid UTF-8, a NUL, another cwd): no verdict, Python decides.

    venvshim-winverdicts 1
    cwd 13:C:\\Users\\me\\p
    entry
    argv 1                      | run-generic
    arg 4:sync
    uv 24:C:\\Users\\me\\.local\\uv.exe
    env 4:PATH 30:C:\\Windows;C:\\Users\\me\\bin       (or: unset UV_PYTHON)
    absent 26:C:\\Users\\me\\p\\.python-version
    mtime 133790000000000000 24:C:\\Users\\me\\p\\pyproject.toml
    end
    sum 0123456789abcdef

(`env NAME <len>:<value>`: names are [A-Za-z0-9_]+ and not length-prefixed.)
Written by record_keep, the Windows counterpart of fastpath.record_keep; standard library only.
"""

from __future__ import annotations

import os
import re
import time

from ..fs import write_atomic
from .fastpath import FAST_ENV
from .verdicts import RACY_SECONDS

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

MAGIC = b"venvshim-winverdicts 1\n"
MAX_ENTRIES = 8
MAX_FILE = 1 << 20  # the front end reads no more
MAX_ARGV = 4096
FILETIME_1970 = 116444736000000000  # 100 ns intervals from 1601 to 1970
_NAME = re.compile(rb"[A-Za-z0-9_]{1,64}")
_DIGITS = re.compile(rb"[0-9]+")


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def verdict_name(cwd: str) -> str:
    return f"{fnv1a64(cwd.encode('utf-16-le', 'surrogatepass')):016x}.verdicts"


def verdict_path(home: Path, cwd: str) -> Path:
    """Where uv.exe looks for the verdicts of `cwd` (home: the state root, VENVSHIM_HOME)."""
    return home / "fast" / verdict_name(cwd)


def generic_run(argv: Sequence[str]) -> bool:
    """`uv run CMD ...` with no uv option and no script: the verdict does not depend on CMD.
    fastpath.generic_run_pattern, plus `\\` (a path separator on Windows) and `.py` in any case."""
    return (
        len(argv) >= 2
        and argv[0] == "run"
        and not argv[1].startswith("-")
        and not any("/" in a or "\\" in a or ".py" in a.lower() for a in argv)
    )


class Entry:
    """One verdict. argv None: the generic `uv run CMD` entry. env: name -> value, None = unset.
    mtimes: (FILETIME, path) of the watched files that were present."""

    __slots__ = ("absent", "argv", "env", "mtimes", "uv")

    def __init__(
        self,
        *,
        argv: Sequence[str] | None,
        uv: str,
        env: Mapping[str, str | None],
        absent: Sequence[str],
        mtimes: Sequence[tuple[int, str]],
    ) -> None:
        self.argv = None if argv is None else list(argv)
        self.uv = uv
        self.env = dict(env)
        self.absent = list(absent)
        self.mtimes = list(mtimes)

    def key(self) -> tuple[tuple[str, ...] | None, str]:
        return (None if self.argv is None else tuple(self.argv), self.uv)

    __hash__ = None  # type: ignore[assignment]  # mutable: compared, never hashed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __repr__(self) -> str:
        return f"Entry(argv={self.argv!r}, uv={self.uv!r})"


def _s(text: str) -> bytes:
    """A length-prefixed string; ValueError for what the front end would reject."""
    data = text.encode("utf-8")  # strict: a lone surrogate raises (UnicodeError is a ValueError)
    if b"\0" in data:
        raise ValueError("NUL in a string")
    return b"%d:%s" % (len(data), data)


def render(cwd: str, entries: Sequence[Entry]) -> bytes:
    """The file's bytes; ValueError if something cannot be represented."""
    if not cwd:
        raise ValueError("empty cwd")
    out = [MAGIC, b"cwd " + _s(cwd) + b"\n"]
    for e in entries:
        out.append(b"entry\n")
        if e.argv is None:
            out.append(b"run-generic\n")
        else:
            if len(e.argv) > MAX_ARGV:
                raise ValueError("argv too long")
            out.append(b"argv %d\n" % len(e.argv))
            out += [b"arg " + _s(a) + b"\n" for a in e.argv]
        out.append(b"uv " + _s(e.uv) + b"\n")
        for name, value in e.env.items():
            raw = name.encode("ascii", "replace")
            if not _NAME.fullmatch(raw):
                raise ValueError(f"environment variable name {name!r}")
            out.append(
                b"unset " + raw + b"\n" if value is None else b"env %s %s\n" % (raw, _s(value))
            )
        for path in e.absent:
            if not path:
                raise ValueError("empty path")
            out.append(b"absent " + _s(path) + b"\n")
        for ft, path in e.mtimes:
            if not path or not 0 <= ft < 2**63:
                raise ValueError(f"mtime {ft} of {path!r}")
            out.append(b"mtime %d %s\n" % (ft, _s(path)))
        out.append(b"end\n")
    body = b"".join(out)
    data = body + b"sum %016x\n" % fnv1a64(body)
    if len(data) > MAX_FILE:
        raise ValueError("too large")
    return data


class _Reader:
    """The front end's reader, in Python (parse() mirrors uv_windows.c, for merging and tests)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def lit(self, text: bytes) -> bool:
        if self.data.startswith(text, self.pos):
            self.pos += len(text)
            return True
        return False

    def num(self, limit: int) -> int:
        m = _DIGITS.match(self.data, self.pos)
        if not m or (m.end() - m.start() > 1 and m.group().startswith(b"0")):
            raise ValueError("number")
        value = int(m.group())  # ValueError past 4300 digits: rejected all the same
        if value > limit:
            raise ValueError("number")
        self.pos = m.end()
        return value

    def string(self) -> str:
        n = self.num(MAX_FILE)
        if not self.lit(b":") or len(self.data) - self.pos < n:
            raise ValueError("string")
        raw = self.data[self.pos : self.pos + n]
        if b"\0" in raw:
            raise ValueError("NUL")
        self.pos += n
        return raw.decode("utf-8")

    def need(self, text: bytes) -> None:
        if not self.lit(text):
            raise ValueError(f"expected {text!r} at {self.pos}")

    def field(self, tag: bytes) -> str:
        self.need(tag + b" ")
        value = self.string()
        self.need(b"\n")
        return value

    def name(self) -> str:
        m = _NAME.match(self.data, self.pos)
        if not m:
            raise ValueError("name")
        self.pos = m.end()
        return m.group().decode("ascii")


def parse(data: bytes) -> tuple[str, list[Entry]] | None:
    """(cwd, entries) of a well-formed file, else None (as the front end: no verdict)."""
    if len(data) > MAX_FILE or len(data) < 21:
        return None
    body, tail = data[:-21], data[-21:]
    if tail != b"sum %016x\n" % fnv1a64(body):
        return None
    r = _Reader(body)
    try:
        r.need(MAGIC)
        cwd = r.field(b"cwd")
        entries = []
        while r.pos < len(body):
            entries.append(_parse_entry(r))
    except ValueError:  # UnicodeDecodeError included
        return None
    return cwd, entries


def _parse_entry(r: _Reader) -> Entry:
    r.need(b"entry\n")
    argv: list[str] | None = None
    if not r.lit(b"run-generic\n"):
        r.need(b"argv ")
        count = r.num(MAX_ARGV)
        r.need(b"\n")
        argv = [r.field(b"arg") for _ in range(count)]
    uv = r.field(b"uv")
    env: dict[str, str | None] = {}
    while True:
        if r.lit(b"unset "):
            env[r.name()] = None
            r.need(b"\n")
        elif r.lit(b"env "):
            name = r.name()
            r.need(b" ")
            env[name] = r.string()
            r.need(b"\n")
        else:
            break
    absent, mtimes = [], []
    while r.lit(b"absent "):
        absent.append(r.string())
        r.need(b"\n")
        if not absent[-1]:
            raise ValueError("empty path")
    while r.lit(b"mtime "):
        ft = r.num(2**63 - 1)
        r.need(b" ")
        path = r.string()
        r.need(b"\n")
        if not path:
            raise ValueError("empty path")
        mtimes.append((ft, path))
    r.need(b"end\n")
    return Entry(argv=argv, uv=uv, env=env, absent=absent, mtimes=mtimes)


def filetime(st_mtime_ns: int) -> int:
    """A FILETIME from os.stat's st_mtime_ns: exact on Windows (Python derives the ns from it);
    on Linux, Wine's truncation of nanoseconds to 100 ns."""
    return st_mtime_ns // 100 + FILETIME_1970


def record_keep(
    home: Path,
    *,
    pwd: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    real_uv: str,
    watched: Sequence[Path | str],
    cwd: Path | None = None,
    stat: Callable[[str], os.stat_result] = os.stat,
    now: float | None = None,
) -> bool:
    """Remember for uv.exe that `uv ARGV` in `pwd` keeps its env while nothing watched changes.

    pwd: the cwd uv.exe passed to the Python half (entry.py's PWD), verbatim; real_uv: the uv it
    passed, verbatim; env: the environment uv will get; watched: the files the verdict depends
    on (the decision's list; real_uv is added); cwd: unused (uv.exe compares `pwd` itself, as
    fastpath's sh file compares the directory's identity). `stat` maps a recorded path to its
    stat (tests give Wine's `Z:\\` paths a Linux stat). False, and nothing written, when a
    watched file changed in the last RACY_SECONDS, a file cannot be stat'ed for another reason
    than its absence, something cannot be represented, or the file cannot be written: never
    fatal.
    """
    now = time.time() if now is None else now
    absent: list[str] = []
    mtimes: list[tuple[int, str]] = []
    for path in dict.fromkeys([real_uv, *map(str, watched)]):
        try:
            st = stat(path)
        except (FileNotFoundError, NotADirectoryError):
            absent.append(path)
            continue
        except (OSError, ValueError):
            return False
        if now - st.st_mtime < RACY_SECONDS:
            return False
        mtimes.append((filetime(st.st_mtime_ns), path))
    entry = Entry(
        argv=None if generic_run(argv) else argv,
        uv=real_uv,
        env={name: env.get(name) for name in FAST_ENV},
        absent=absent,
        mtimes=mtimes,
    )
    target = verdict_path(home, pwd)
    entries: list[Entry] = []
    try:
        old = parse(target.read_bytes())
    except OSError:
        old = None
    if old is not None and old[0] == pwd:
        entries = [e for e in old[1] if e.key() != entry.key()][-(MAX_ENTRIES - 1) :]
    try:
        data = render(pwd, [*entries, entry])
    except ValueError:
        return False
    try:
        write_atomic(target, data)
    except OSError:
        return False
    return True
