"""A directory that every path a tool touches must stay inside, enforced with directory file descriptors.

Checking a path and then opening it is a race: between the two, another process can
swap a directory for a symlink that points out of the root (``renameat2`` with
``RENAME_EXCHANGE`` makes it reliable). So nothing here opens a path string. Each
request is walked one component at a time from an open descriptor of the root, every
component opened relative to its parent's descriptor with ``O_NOFOLLOW``. Symlinks are
resolved by hand (the kernel never follows one for us): a relative target continues
the walk, ``..`` steps back up the stack of descriptors we hold, and a step above the
root or an absolute target outside it is refused. This is ``openat2(RESOLVE_BENEATH)``
done in user space, so it works on every POSIX kernel and Python version.

Regular files with more than one hard link are refused for reading and writing: the
other link may be a file outside the root, and nothing in the inode says which.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._common import AccessDenied

#: Most components a requested path may have (``d/``*1200 is refused, not a RecursionError).
MAX_DEPTH = 128
#: Most characters a requested path may have (Linux's PATH_MAX).
MAX_PATH_CHARS = 4096
#: Longest name of one component, in bytes (NAME_MAX).
MAX_NAME_BYTES = 255
#: Most symlinks one lookup may pass through (the kernel's own limit).
MAX_SYMLINKS = 40

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO in the root must not block a read
#: Flags to open something only to look at it (Linux: O_PATH needs no read permission, has no side effects).
INSPECT = getattr(os, "O_PATH", os.O_RDONLY | _NONBLOCK)
READ = os.O_RDONLY | _NONBLOCK
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC


class Sandbox:
    """The root directory of a pack (``root=None``: the current directory at call time)."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self._root = None if root is None else Path(root)
        if self._root is not None and not self._root.is_dir():
            raise NotADirectoryError(f"sandbox root {str(self._root)!r} is not a directory")

    @property
    def root(self) -> Path:
        return (self._root if self._root is not None else Path.cwd()).resolve(strict=True)

    def parts(self, path: str) -> list[str]:
        """The components of ``path`` below the root; AccessDenied or ValueError for what cannot be one."""
        if "\x00" in path:
            raise AccessDenied("path contains a NUL byte")
        if len(path) > MAX_PATH_CHARS:
            raise ValueError(f"path is {len(path)} characters, over the limit of {MAX_PATH_CHARS}")
        candidate = Path(path)
        if ".." in candidate.parts:
            raise AccessDenied(f"path {path!r} uses '..'; paths must stay inside the sandbox root")
        if candidate.is_absolute():
            candidate = self._below_root(candidate, path)
        parts = [p for p in candidate.parts if p not in ("", ".")]
        if len(parts) > MAX_DEPTH:
            raise ValueError(f"path {path[:60]!r}... has {len(parts)} components, over the limit of {MAX_DEPTH}")
        for part in parts:
            if len(os.fsencode(part)) > MAX_NAME_BYTES:
                raise ValueError(f"path component {part[:40]!r}... is over {MAX_NAME_BYTES} bytes")
        return parts

    def _below_root(self, absolute: Path, shown: str) -> Path:
        roots = [self.root]
        if self._root is not None:
            roots.append(Path(os.path.abspath(self._root)))
        for root in roots:
            if absolute.is_relative_to(root):
                return absolute.relative_to(root)
        raise AccessDenied(f"path {shown!r} resolves outside the sandbox root")

    @contextmanager
    def open(self, path: str, flags: int = INSPECT, *, mode: int = 0o644, follow: bool = True,
             make_parents: bool = False) -> Iterator[int]:  # fmt: skip
        """A descriptor of ``path`` opened with ``flags``, closed on exit.

        ``follow=False`` refuses a symlink as the last component (writes never go through
        one); ``make_parents`` creates missing directories on the way, each one inside the
        root. ``flags`` apply to the last component only (add ``O_DIRECTORY`` to insist on a
        directory); the ones before it are always opened as directories.
        """
        parts, root = self.parts(path), self.root
        fd = _walk(os.open(root, _DIR_FLAGS), root, parts, path, flags | _NOFOLLOW | _CLOEXEC, mode, follow, make_parents)
        try:
            yield fd
        finally:
            os.close(fd)

    def display(self, path: str) -> str:
        """``path`` as a POSIX path relative to the root (``.`` for the root itself)."""
        return "/".join(self.parts(path)) or "."

    def real_path(self, path: str) -> Path:
        """A symlink-free path naming what ``path`` names now (for libraries that only take a path).

        Unlike :meth:`open` this leaves a window between the check and the library's own
        open; use it only where no descriptor can be handed over.
        """
        with self.open(path, INSPECT) as fd:
            found = os.fstat(fd)
        real = Path(os.path.realpath(self.root.joinpath(*self.parts(path))))
        if not real.is_relative_to(self.root):
            raise AccessDenied(f"path {path!r} resolves outside the sandbox root")
        now = os.stat(real, follow_symlinks=False)
        if (now.st_dev, now.st_ino) != (found.st_dev, found.st_ino):
            raise AccessDenied(f"path {path!r} changed while it was being checked")
        return real


def _walk(root_fd: int, root: Path, parts: list[str], shown: str, flags: int, mode: int, follow: bool, make_parents: bool) -> int:
    """Open ``parts`` below ``root_fd`` (which it takes over) one component at a time; see the module docstring."""
    stack = [root_fd]  # descriptors of the directories walked so far, the root first
    pending = list(reversed(parts))
    hops = 0
    try:
        while pending:
            name = pending.pop()
            if name in ("", "."):
                continue
            if name == "..":  # only from a symlink's target: the request itself may not use it
                if len(stack) == 1:
                    raise AccessDenied(f"path {shown!r} goes through a symlink that points outside the sandbox root")
                os.close(stack.pop())
                if not pending:
                    return _reopen_dir(stack[-1], flags)
                continue
            last = not pending
            try:
                fd = _open_step(stack[-1], name, flags if last else _DIR_FLAGS, mode, make_parents and not last)
            except _Symlink:
                if last and not follow:
                    raise AccessDenied(f"{shown!r} is a symlink; it is not written through") from None
                hops += 1
                if hops > MAX_SYMLINKS:  # also bounds retries of a component that keeps changing
                    raise OSError(errno.ELOOP, f"too many symlinks in {shown!r}") from None
                pending.extend(reversed(_target_parts(stack, root, name, shown)))
                continue
            if last:
                return fd
            stack.append(fd)
        return _reopen_dir(stack[-1], flags)  # the root itself, or a symlink's target ending in '..'
    finally:
        for fd in stack:
            os.close(fd)


#: What open(O_NOFOLLOW) says about a symlink: ELOOP on Linux, EMLINK on FreeBSD, EFTYPE on macOS.
_LINK_ERRNOS = {errno.ELOOP, errno.ENOTDIR, errno.EMLINK} | ({errno.EFTYPE} if hasattr(errno, "EFTYPE") else set())


class _Symlink(Exception):
    """The component is a symlink (raised instead of following it)."""


def _open_step(dir_fd: int, name: str, flags: int, mode: int, make: bool) -> int:
    try:
        fd = os.open(name, flags, mode, dir_fd=dir_fd)
    except FileNotFoundError:
        if not make:
            raise
        try:
            os.mkdir(name, 0o777, dir_fd=dir_fd)
        except FileExistsError:  # made by someone else meanwhile: open whatever is there, as above
            pass
        return _open_step(dir_fd, name, flags, mode, False)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR and not stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            raise
        if exc.errno in _LINK_ERRNOS:
            raise _Symlink from None
        raise
    if stat.S_ISLNK(os.fstat(fd).st_mode):  # O_PATH | O_NOFOLLOW opens the link itself
        os.close(fd)
        raise _Symlink
    return fd


def _target_parts(stack: list[int], root: Path, name: str, shown: str) -> list[str]:
    """The components a symlink's target adds to the walk (an absolute target inside the root restarts there)."""
    try:
        target = os.readlink(name, dir_fd=stack[-1])
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # no longer a symlink (swapped back meanwhile): look at it again
            return [name]
        raise
    if not os.path.isabs(target):
        return [p for p in target.split("/") if p]
    real = Path(os.path.normpath(target))
    if not real.is_relative_to(root):
        raise AccessDenied(f"path {shown!r} goes through a symlink that points outside the sandbox root")
    while len(stack) > 1:
        os.close(stack.pop())
    return list(real.relative_to(root).parts)


def _reopen_dir(dir_fd: int, flags: int) -> int:
    return os.open(".", (flags & ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC)) | _CLOEXEC, dir_fd=dir_fd)


def check_regular(fd: int, shown: str) -> os.stat_result:
    """``fd``'s stat when it is a regular file with one link; the error a caller should see otherwise."""
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{shown!r} is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise AccessDenied(f"{shown!r} is not a regular file")
    if info.st_nlink > 1:
        raise AccessDenied(f"{shown!r} has {info.st_nlink} hard links; a hard link may reach a file outside the sandbox root, so it is refused")
    return info


__all__ = ["INSPECT", "MAX_DEPTH", "MAX_PATH_CHARS", "READ", "Sandbox", "check_regular"]
