"""Delete a tombstone through directory handles: never following a link, never leaving its
filesystem, never re-resolving a path after its identity was checked.

Whoever can write a tombstone's parent directory could swap the tombstone for a link between a
check and a deletion by path. So the tombstone is opened once (O_NOFOLLOW|O_DIRECTORY, relative to
its parent), its device and inode are compared with the registry record, and everything below is
reached from that handle: subdirectories are opened relative to their parent's handle, again with
O_NOFOLLOW, and checked against what was listed. A directory on another device, or any mount
point below the tombstone (bind mounts share a device: /proc/self/mountinfo tells), is never
entered. On Linux the bulk is handed to GNU rm, one per core on disjoint sub-trees, each started
with its working directory set to an already verified handle and given bare names, so rm never
resolves more than one name; rm's own walk is fd-based and --one-file-system.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

# Annotations only: importing typing/collections.abc costs milliseconds on the shim's path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .registry import Record

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
FD_BASED = os.open in os.supports_dir_fd and os.scandir in os.supports_fd
RM = "/bin/rm"


# /proc/self/mountinfo writes these bytes of a path as octal escapes.
_MOUNTINFO_ESCAPES = ((b"\\040", b" "), (b"\\011", b"\t"), (b"\\012", b"\n"), (b"\\134", b"\\"))


class Refused(Exception):
    """The tombstone is not the directory the record names: nothing was deleted."""


def mount_points_under(path: str) -> list[str]:
    """Mount points at or below `path` (Linux: /proc/self/mountinfo); [] where unknown."""
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    found = []
    prefix = os.fsencode(path.rstrip(os.sep) + os.sep)
    for line in lines:
        fields = line.split(b" ")
        if len(fields) < 5:
            continue
        point = fields[4]
        for code, char in _MOUNTINFO_ESCAPES:
            point = point.replace(code, char)
        if point == prefix[:-1] or point.startswith(prefix):
            found.append(os.fsdecode(point))
    return found


def delete(record: Record) -> list[str]:
    """Delete the tombstone of `record`. Returns the errors ([] when it is gone); raises Refused
    when the directory at its path is not the one venvshim renamed."""
    if not FD_BASED:
        return _delete_by_path(record)
    parent, name = os.path.split(record.path)
    mounts = mount_points_under(record.path)
    if mounts:
        raise Refused(f"a filesystem is mounted inside it ({mounts[0]}): not deleted")
    try:
        parent_fd = os.open(parent, _DIR_FLAGS)
    except OSError as exc:
        return [f"{parent}: {exc.strerror or exc}"]
    try:
        try:
            tomb_fd = os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=parent_fd)
        except OSError as exc:
            raise Refused(f"cannot open it as a directory without following links: {exc}") from exc
        try:
            st = os.fstat(tomb_fd)
            if not record.identity_matches(st):
                raise Refused("it is not the directory venvshim renamed (device/inode differ)")
            errors = _empty(tomb_fd, st.st_dev, record.path)
        finally:
            os.close(tomb_fd)
        if errors:
            return errors
        try:
            again = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            if not record.identity_matches(again):
                raise Refused("it was replaced while being deleted")
            os.rmdir(name, dir_fd=parent_fd)
        except OSError as exc:
            return [f"{record.path}: {exc.strerror or exc}"]
        return []
    finally:
        os.close(parent_fd)


def _delete_by_path(record: Record) -> list[str]:
    """Windows: no *at() calls. The identity is checked on the path itself (never a link or
    junction: lstat), then shutil.rmtree, which removes junctions without following them."""
    import shutil

    try:
        st = os.lstat(record.path)
    except OSError as exc:
        return [f"{record.path}: {exc.strerror or exc}"]
    if not record.identity_matches(st) or int(getattr(st, "st_reparse_tag", 0)):
        raise Refused("it is not the directory venvshim renamed (identity differs)")
    errors: list[str] = []
    shutil.rmtree(record.path, onerror=lambda _f, p, e: errors.append(f"{p}: {e[1]}"))
    return errors


def _open_child(dir_fd: int, name: str, expected: os.stat_result) -> int | None:
    """A handle on the subdirectory `name` of `dir_fd`, if it is still the one listed."""
    try:
        fd = os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (expected.st_dev, expected.st_ino):
        os.close(fd)
        return None
    return fd


def _empty(tomb_fd: int, dev: int, where: str) -> list[str]:
    if sys.platform.startswith("linux") and os.access(RM, os.X_OK):
        return _empty_with_rm(tomb_fd, dev, where)
    return _empty_fd(tomb_fd, dev, where)


def _empty_fd(dir_fd: int, dev: int, where: str) -> list[str]:
    """Depth-first, every call relative to a verified handle."""
    errors: list[str] = []
    with os.scandir(dir_fd) as it:
        entries = list(it)
    for entry in entries:
        path = f"{where}/{entry.name}"
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if st.st_dev != dev:
                    errors.append(f"{path}: on another filesystem; not entered")
                    continue
                child = _open_child(dir_fd, entry.name, st)
                if child is None:
                    errors.append(f"{path}: changed while being deleted; not entered")
                    continue
                try:
                    inner = _empty_fd(child, dev, path)
                finally:
                    os.close(child)
                if inner:
                    errors.extend(inner)
                    continue
                os.rmdir(entry.name, dir_fd=dir_fd)
            else:
                os.unlink(entry.name, dir_fd=dir_fd)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
    return errors


def _units(
    tomb_fd: int, dev: int, opened: list[int], workers: int, max_depth: int = 6
) -> list[tuple[int, list[str]]]:
    """Split the tree breadth-first into (verified dir handle, names in it) units until 8
    directories per worker share the work (a venv's bulk sits four or more levels down, in
    lib/pythonX.Y/site-packages/*/...). Handles it opens go into `opened`, for the caller to
    close."""
    want = 8 * workers
    frontier: list[tuple[int, str, os.stat_result]] = []
    with os.scandir(tomb_fd) as it:
        for entry in it:
            try:
                frontier.append((tomb_fd, entry.name, entry.stat(follow_symlinks=False)))
            except OSError:
                continue
    for _ in range(max_depth):
        if sum(stat.S_ISDIR(st.st_mode) for _, _, st in frontier) >= want:
            break
        expanded: list[tuple[int, str, os.stat_result]] = []
        for parent, name, st in frontier:
            if not stat.S_ISDIR(st.st_mode) or st.st_dev != dev:
                expanded.append((parent, name, st))
                continue
            fd = _open_child(parent, name, st)
            if fd is None:
                expanded.append((parent, name, st))
                continue
            opened.append(fd)
            with os.scandir(fd) as it:
                inner = []
                for entry in it:
                    try:
                        inner.append((fd, entry.name, entry.stat(follow_symlinks=False)))
                    except OSError:
                        continue
            expanded.extend(inner or [(parent, name, st)])
        frontier = expanded
    units: dict[int, list[tuple[str, bool]]] = {}
    for parent, name, st in frontier:
        units.setdefault(parent, []).append((name, stat.S_ISDIR(st.st_mode)))
    # Sub-trees of one directory (site-packages/*, a package's sub-packages) are shared out
    # among the workers, biggest unit first: one rm per parent would leave a core idle.
    pieces: list[tuple[int, int, list[str]]] = []
    for parent, named in units.items():
        dirs = sum(is_dir for _, is_dir in named)
        share = workers if dirs > 1 else 1
        for i in range(share):
            part = [name for name, _ in named[i::share]]
            if part:
                pieces.append((dirs, parent, part))
    pieces.sort(key=lambda piece: -piece[0])
    return [(parent, names) for _, parent, names in pieces]


def _rm_in(dir_fd: int, names: list[str]) -> subprocess.Popen[bytes]:
    """GNU rm with its working directory at `dir_fd` and bare names: it resolves no path."""
    saved = os.open(".", _DIR_FLAGS)
    try:
        os.fchdir(dir_fd)
        return subprocess.Popen(
            [RM, "-rf", "--one-file-system", "--", *(f"./{n}" for n in names)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    finally:
        os.fchdir(saved)
        os.close(saved)


def _empty_with_rm(tomb_fd: int, dev: int, where: str) -> list[str]:
    """One rm per core on disjoint sub-trees (unlinks in different directories proceed side by
    side: ~1.8x on 2 cores), then one for whatever skeleton is left."""
    workers = min(os.cpu_count() or 1, 4)
    if workers > 1:
        opened: list[int] = []
        try:
            units = _units(tomb_fd, dev, opened, workers)
            running: list[subprocess.Popen[bytes]] = []
            for dir_fd, names in units:
                if dir_fd == tomb_fd:
                    continue  # the top level goes last, with the skeleton
                if len(running) >= workers:
                    running.pop(0).communicate()
                running.append(_rm_in(dir_fd, names))
            for proc in running:
                proc.communicate()
        finally:
            for fd in opened:
                os.close(fd)
    with os.scandir(tomb_fd) as it:
        names = [e.name for e in it]
    if not names:
        return []
    final = _rm_in(tomb_fd, names)
    _, err = final.communicate()
    if final.returncode != 0:
        return [f"{where}: {err.decode(errors='replace').strip()}"]
    return []
