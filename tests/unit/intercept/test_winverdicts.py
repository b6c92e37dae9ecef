"""The Windows front end's verdict file, written and parsed on any OS (tests/wine/ runs the C
reader on what record_keep writes)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from venvshim.intercept import winverdicts
from venvshim.intercept.fastpath import FAST_ENV
from venvshim.intercept.winverdicts import Entry, parse, record_keep, render

OLD = int(time.time()) - 3600
ODD = ['a "b"', "c\\", "", "naïve 𝄞", "line\nbreak", "%PATH%", "x;y", "3:abc"]


def test_fnv1a64_reference_values() -> None:
    assert winverdicts.fnv1a64(b"") == 0xCBF29CE484222325
    assert winverdicts.fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert winverdicts.fnv1a64(b"foobar") == 0x85944171F73967E8


def test_one_file_per_cwd_keyed_by_its_exact_utf16() -> None:
    home, cwd = Path("state"), "C:\\Users\\me\\p"
    a = winverdicts.verdict_path(home, cwd)
    assert a.parent == home / "fast" and a.name.endswith(".verdicts") and len(a.stem) == 16
    key = winverdicts.fnv1a64(cwd.encode("utf-16-le"))
    assert a.stem == f"{key:016x}"
    assert winverdicts.verdict_path(home, "c:\\users\\me\\p") != a  # exact, compared exactly


def _entry(**kw: object) -> Entry:
    fields: dict[str, object] = {
        "argv": ["sync", *ODD],
        "uv": "C:\\Program Files\\uv\\uv.exe",
        "env": {"PATH": "C:\\bin;D:\\x y", "UV_PYTHON": None, "HOME": ""},
        "absent": ["C:\\p\\.python-version"],
        "mtimes": [(133790000000000000, "C:\\p\\pyproject.toml")],
    }
    fields.update(kw)
    return Entry(**fields)  # type: ignore[arg-type]


def test_render_parse_round_trip() -> None:
    entries = [_entry(), _entry(argv=None), _entry(env={}, absent=[], mtimes=[])]
    data = render("C:\\p ö", entries)
    assert data.startswith(b"venvshim-winverdicts 1\ncwd ")
    assert data.endswith(b"sum %016x\n" % winverdicts.fnv1a64(data[:-21]))
    assert parse(data) == ("C:\\p ö", entries)
    assert b"run-generic\n" in data and b"unset UV_PYTHON\n" in data and b"env HOME 0:\n" in data


def test_any_damage_is_rejected() -> None:
    data = render("C:\\p", [_entry()])
    for cut in range(len(data)):
        assert parse(data[:cut]) is None, cut
    assert parse(data + b"\n") is None

    def resum(body: bytes) -> bytes:
        return body + b"sum %016x\n" % winverdicts.fnv1a64(body)

    body = data[:-21]
    assert parse(resum(body)) is not None
    for old, new in [
        (b"winverdicts 1", b"winverdicts 2"),
        (b"arg 4:sync", b"arg 04:sync"),
        (b"arg 4:sync", b"arg 5:sync"),
        (b"arg 4:sync", b"arg 4:sy\x00c"),
        (b"arg 4:sync", b"arg 4:sy\xffc"),
        (b"\nend\n", b"\nend\r\n"),
        (b"\nend\n", b"\n"),
        (b"unset UV_PYTHON", b"unset UV-PYTHON"),
        (b"mtime 1337", b"mtime -1337"),
        (b"mtime 133790000000000000", b"mtime 99999999999999999999"),
        (b"absent 20:", b"absent 0:"),
    ]:
        assert old in body, old
        assert parse(resum(body.replace(old, new, 1))) is None, new


def test_render_refuses_what_the_front_end_would_not_read() -> None:
    with pytest.raises(ValueError):
        render("C:\\p", [_entry(argv=["lone \udc80 surrogate"])])
    with pytest.raises(ValueError):
        render("C:\\p", [_entry(argv=["nul\0"])])
    with pytest.raises(ValueError):
        render("C:\\p", [_entry(env={"A=B": "1"})])
    with pytest.raises(ValueError):
        render("", [])


@pytest.mark.parametrize(
    ("argv", "generic"),
    [
        (["run", "python", "-c", "pass"], True),
        (["run", "pytest", "-x"], True),
        (["run", "python", "x.py"], False),
        (["run", "python", "X.PYW"], False),
        (["run", ".\\tool"], False),
        (["run", "a/b"], False),
        (["run", "--with", "x", "python"], False),
        (["run"], False),
        (["sync"], False),
        (["-q", "run", "python"], False),
    ],
)
def test_generic_run(argv: list[str], generic: bool) -> None:
    assert winverdicts.generic_run(argv) is generic


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    proj = tmp_path / "p"
    proj.mkdir()
    pyproject, uv = proj / "pyproject.toml", tmp_path / "uv.exe"
    for f in (pyproject, uv):
        f.write_text("x")
        os.utime(f, (OLD, OLD))
    return pyproject, proj / ".python-version", uv


def test_record_keep(tmp_path: Path) -> None:
    pyproject, absent, uv = _files(tmp_path)
    home = tmp_path / "state"
    env = {"PATH": "C:\\bin", "UV_CACHE_DIR": "", "UNRELATED": "1"}
    pwd = "C:\\Users\\me\\p"
    assert record_keep(
        home, pwd=pwd, argv=["sync"], env=env, real_uv=str(uv), watched=[pyproject, absent]
    )
    got = parse(winverdicts.verdict_path(home, pwd).read_bytes())
    assert got is not None and got[0] == pwd
    (entry,) = got[1]
    assert entry.argv == ["sync"] and entry.uv == str(uv)
    assert entry.env == {name: env.get(name) for name in FAST_ENV}  # every one, set or unset
    assert list(entry.env) == list(FAST_ENV) and "UNRELATED" not in entry.env
    assert entry.absent == [str(absent)]
    ft = OLD * 10**7 + winverdicts.FILETIME_1970
    assert entry.mtimes == [(ft, str(uv)), (ft, str(pyproject))]  # the uv binary first
    assert [p.name for p in (home / "fast").iterdir()] == [
        winverdicts.verdict_name(pwd)
    ]  # no temp file left


def test_record_keep_merges_replaces_and_caps(tmp_path: Path) -> None:
    pyproject, _, uv = _files(tmp_path)
    home, pwd = tmp_path / "state", "C:\\p"

    def rec(argv: list[str], env: dict[str, str] | None = None) -> None:
        kw = {"pwd": pwd, "env": env or {}, "real_uv": str(uv), "watched": [pyproject]}
        assert record_keep(home, argv=argv, **kw)  # type: ignore[arg-type]

    def entries() -> list[Entry]:
        got = parse(winverdicts.verdict_path(home, pwd).read_bytes())
        assert got is not None
        return got[1]

    rec(["sync"])
    rec(["run", "python", "-c", "pass"])
    rec(["run", "pytest"])  # the same generic entry, replaced
    rec(["sync"], {"UV_PYTHON": "3.12"})  # the same argv: replaced by the newer verdict
    assert [e.argv for e in entries()] == [None, ["sync"]]
    assert entries()[1].env["UV_PYTHON"] == "3.12"
    for i in range(20):
        rec(["sync", f"-v{i}"])
    assert len(entries()) == winverdicts.MAX_ENTRIES
    assert entries()[-1].argv == ["sync", "-v19"]
    # A file for another cwd (a key collision) or a damaged one is simply replaced.
    path = winverdicts.verdict_path(home, pwd)
    path.write_bytes(render("C:\\other", [_entry()]))
    rec(["sync"])
    assert [e.argv for e in entries()] == [["sync"]]
    path.write_bytes(b"garbage")
    rec(["sync"])
    assert len(entries()) == 1


def test_record_keep_refuses(tmp_path: Path) -> None:
    pyproject, absent, uv = _files(tmp_path)
    home = tmp_path / "state"
    kw = {"pwd": "C:\\p", "env": {}, "real_uv": str(uv)}
    os.utime(pyproject)  # just changed: a second change in the same tick would go unnoticed
    assert not record_keep(home, argv=["sync"], watched=[pyproject], **kw)  # type: ignore[arg-type]
    os.utime(pyproject, (OLD, OLD))
    assert not record_keep(home, argv=["sync", "\udc80"], watched=[], **kw)  # type: ignore[arg-type]

    def denied(path: str) -> os.stat_result:
        raise PermissionError(path)

    assert not record_keep(home, argv=["sync"], watched=[], stat=denied, **kw)  # type: ignore[arg-type]
    assert not (home / "fast").exists()
    (home / "fast").mkdir(parents=True)
    (home / "fast" / winverdicts.verdict_name("C:\\p")).mkdir()  # cannot be replaced
    assert not record_keep(home, argv=["sync"], watched=[absent], **kw)  # type: ignore[arg-type]
    assert [p.name for p in (home / "fast").iterdir()] == [winverdicts.verdict_name("C:\\p")]


def test_windows_paths_through_a_given_stat(tmp_path: Path) -> None:
    """record_keep on Linux for Wine: Z:\\ paths are stat'ed through the mapping it is given."""
    pyproject, absent, uv = _files(tmp_path)

    def z(p: Path) -> str:
        return "Z:" + str(p).replace("/", "\\")

    def stat(path: str) -> os.stat_result:
        return os.stat(path[2:].replace("\\", "/"))

    home = tmp_path / "state"
    assert record_keep(
        home, pwd=z(tmp_path), argv=["sync"], env={}, real_uv=z(uv),
        watched=[z(pyproject), z(absent)], stat=stat,
    )  # fmt: skip
    got = parse(winverdicts.verdict_path(home, z(tmp_path)).read_bytes())
    assert got is not None
    (entry,) = got[1]
    assert [p for _, p in entry.mtimes] == [z(uv), z(pyproject)] and entry.absent == [z(absent)]
