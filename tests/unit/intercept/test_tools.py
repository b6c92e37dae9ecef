"""Which tools a `uv tool` command may change and how each is protected; the tool tombstone and
its stub, settled against every outcome uv can leave (no uv needed: uv's effects are staged)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from venvshim.intercept import tools, toolswap
from venvshim.intercept.uvargs import parse
from venvshim.state import StateRoot
from venvshim.tombstones.registry import Registry

RECEIPT = """[tool]
requirements = [{{ name = "{name}" }}]
entrypoints = [
    {{ name = "{name}", install-path = "{bin}/{name}", from = "{name}" }},
    {{ name = "evil", install-path = "relative/evil", from = "{name}" }},
]
"""


def make_tool(tool_dir: Path, name: str, bin_dir: Path, version: str = "1.0") -> Path:
    env = tool_dir / name
    site = env / "lib" / "python3.12" / "site-packages"
    (site / f"{name}-{version}.dist-info").mkdir(parents=True)
    (site / f"{name}-{version}.dist-info" / "RECORD").write_text(f"../../../bin/{name},,\n")
    (env / "bin").mkdir()
    (env / "bin" / "python").symlink_to("/usr/bin/python3")
    (env / "bin" / name).write_bytes(b"\x7fELF" + version.encode())
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "uv-receipt.toml").write_text(RECEIPT.format(name=name, bin=bin_dir))
    return env


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("ruff", "ruff"), ("Ruff_Lint==0.6", "ruff-lint"), ("black[d]>=24", "black"),
        ("ruff@latest", "ruff"), ("ruff @ https://x/ruff.whl", "ruff"),
        ("dist/nativetool-2.0-py3-none-any.whl", "nativetool"),
        ("nativetool-2.0-py3-none-any.whl", "nativetool"),
        ("git+https://github.com/a/b", None), ("https://x/y.tar.gz", None), ("./nowhere", None),
    ],
)  # fmt: skip
def test_requirement_name(tmp_path: Path, spec: str, name: str | None) -> None:
    assert tools.requirement_name(spec, str(tmp_path)) == name


def test_requirement_name_of_a_local_project(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pyproject.toml").write_text('[project]\nname = "My.Tool"\n')
    assert tools.requirement_name("./src", str(tmp_path)) == "my-tool"


def _plan(tool_dir: Path, argv: list[str], same: bool | None = True) -> list[str]:
    ops = tools.plan(
        "uv", parse(argv), work=str(tool_dir), tool_dir=tool_dir, env={},
        interpreter_check=lambda _env, _request: same,
    )  # fmt: skip
    return [f"{op.name}:{'whole' if op.whole else 'files'}" for op in ops]


def test_plan(tmp_path: Path) -> None:
    tool_dir, bin_dir = tmp_path / "tools", tmp_path / "bin"
    for name in ("ruff", "black"):
        make_tool(tool_dir, name, bin_dir)
    (tool_dir / ".hidden.venvshim-tomb-1").mkdir()  # never a tool
    assert _plan(tool_dir, ["tool", "install", "ruff"]) == ["ruff:files"]
    assert _plan(tool_dir, ["tool", "install", "--force", "ruff"]) == ["ruff:whole"]
    assert _plan(tool_dir, ["tool", "install", "new-tool"]) == []
    assert _plan(tool_dir, ["tool", "install", "-p", "3.13", "ruff"], same=False) == ["ruff:whole"]
    assert _plan(tool_dir, ["tool", "install", "-p", "3.13", "ruff"], same=None) == ["ruff:whole"]
    assert _plan(tool_dir, ["tool", "install", "-p", "3.12", "ruff"], same=True) == ["ruff:files"]
    assert _plan(tool_dir, ["tool", "upgrade", "--all"]) == ["black:files", "ruff:files"]
    assert _plan(tool_dir, ["tool", "uninstall", "ruff", "black"]) == ["ruff:whole", "black:whole"]
    # A requirement venvshim cannot name may be any tool: all of them, files only.
    assert _plan(tool_dir, ["tool", "install", "--force", "git+https://x/y"]) == [
        "black:files",
        "ruff:files",
    ]
    (ruff,) = tools.plan("uv", parse(["tool", "upgrade", "ruff"]), work="/", tool_dir=tool_dir,
                         env={})  # fmt: skip
    assert ruff.entry_points == [bin_dir / "ruff"]  # the relative install-path is ignored


def test_receipts_want(tmp_path: Path) -> None:
    tool_dir, bin_dir = tmp_path / "tools", tmp_path / "bin"
    make_tool(tool_dir, "ruff", bin_dir)
    wants = tools.receipts_want(tool_dir)
    assert wants([str(bin_dir / "ruff"), str(bin_dir / "black")]) == {str(bin_dir / "ruff")}


@pytest.fixture
def tool(tmp_path: Path):  # type: ignore[no-untyped-def]
    state = StateRoot(tmp_path / "state")
    tool_dir = tmp_path / "share" / "uv" / "tools"
    env = make_tool(tool_dir, "ruff", tmp_path / "bin")
    before = os.lstat(env).st_ino
    record = toolswap.tombstone(state, env, tool_dir=tool_dir, label="tool ruff", env={})
    return state, tool_dir, env, before, record


def test_tombstone_leaves_a_stub_uv_reads_alike(tool) -> None:  # type: ignore[no-untyped-def]
    _state, tool_dir, env, _before, record = tool
    assert Path(record.path).parent == tool_dir.parent / ".tools.venvshim"
    assert sorted(os.listdir(env)) == [".venvshim-stub", "bin", "pyvenv.cfg", "uv-receipt.toml"]
    assert os.readlink(env / "bin" / "python") == "/usr/bin/python3"
    assert (env / "uv-receipt.toml").read_text() == (
        Path(record.path) / "uv-receipt.toml"
    ).read_text()
    assert tools.installed_tools(tool_dir) == ["ruff"]  # uv still sees the tool


def test_untouched_stub_puts_the_tool_back(tool) -> None:  # type: ignore[no-untyped-def]
    state, _tool_dir, env, before, record = tool
    assert toolswap.settle(record, state, uninstall=False) == "restored"
    assert os.lstat(env).st_ino == before and (env / "bin" / "ruff").read_bytes() == b"\x7fELF1.0"
    assert Registry(state).load() == ([], [])


def test_uninstalled(tool) -> None:  # type: ignore[no-untyped-def]
    state, _tool_dir, env, _before, record = tool
    shutil.rmtree(env)
    assert toolswap.settle(record, state, uninstall=True) == "removed"
    assert not env.exists() and Path(record.path).is_dir()


def test_install_that_removed_its_failed_env(tool) -> None:  # type: ignore[no-untyped-def]
    state, _tool_dir, env, before, record = tool
    shutil.rmtree(env)
    assert toolswap.settle(record, state, uninstall=False) == "restored"
    assert os.lstat(env).st_ino == before


def test_replaced(tool) -> None:  # type: ignore[no-untyped-def]
    state, tool_dir, env, _before, record = tool
    shutil.rmtree(env)
    make_tool(tool_dir, "ruff", tool_dir.parent / "bin", version="2.0")
    assert toolswap.settle(record, state, uninstall=False) == "replaced"
    assert (env / "bin" / "ruff").read_bytes() == b"\x7fELF2.0" and Path(record.path).is_dir()


def test_failed_new_env_is_set_aside(tool) -> None:  # type: ignore[no-untyped-def]
    state, tool_dir, env, before, record = tool
    shutil.rmtree(env)
    make_tool(tool_dir, "ruff", tool_dir.parent / "bin", version="2.0")
    (env / "uv-receipt.toml").unlink()  # uv failed before writing its receipt
    assert toolswap.settle(record, state, uninstall=False) == "restored"
    assert os.lstat(env).st_ino == before
    (left,) = Registry(state).load()[0]
    assert left.kind == "tool" and "left by uv" in left.label and Path(left.path).is_dir()


def test_stub_used_in_place(tool) -> None:  # type: ignore[no-untyped-def]
    state, _tool_dir, env, _before, record = tool
    site = env / "lib" / "python3.12" / "site-packages" / "ruff-2.0.dist-info"
    site.mkdir(parents=True)
    (env / "uv-receipt.toml").unlink()
    (env / "uv-receipt.toml").write_text("[tool]\n")  # uv judged it usable and finished
    assert toolswap.settle(record, state, uninstall=False) == "kept-stub"
    assert not (env / ".venvshim-stub").exists() and Path(record.path).is_dir()


def test_gc_recovers_an_untouched_stub(tool) -> None:  # type: ignore[no-untyped-def]
    state, _tool_dir, env, before, record = tool
    assert toolswap.recover(record, state) is True and os.lstat(env).st_ino == before


def test_only_entry_points_that_are_files_in_the_bin_dir_count(tmp_path: Path) -> None:
    """Windows copies the `.exe` into the bin dir (it may be held); a POSIX link never is; a
    receipt naming a path elsewhere is data, never followed."""
    from venvshim.intercept.inuse import _entry_files

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "copy.exe").write_bytes(b"MZ")
    (bin_dir / "link").symlink_to(tmp_path / "elsewhere")
    outside = tmp_path / "outside"
    outside.write_bytes(b"x")
    points = [bin_dir / "copy.exe", bin_dir / "link", outside, bin_dir / "missing"]
    assert _entry_files(points, bin_dir) == [str(bin_dir / "copy.exe")]
