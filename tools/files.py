"""File tools confined to one root directory: read, list, write (with approval), inspect.

Every path goes through :class:`~agentkit.tools._sandbox.Sandbox`, which opens it one
component at a time from a descriptor of the root, never following a symlink out of it:
``..``, absolute paths outside the root, symlinks pointing out of it and paths swapped
for such symlinks while a tool runs are all refused with
:class:`~agentkit.tools._common.AccessDenied`. Files with several hard links are
refused too (another link may live outside the root).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from datetime import UTC, datetime
from typing import Any

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from ._common import positive, registry
from ._sandbox import INSPECT, READ, Sandbox, check_regular

MAX_READ_BYTES = 1_000_000
MAX_WRITE_BYTES = 1_000_000
MAX_ENTRIES = 1_000
MAX_PATTERN_CHARS = 200  # fnmatch caches every translated pattern


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"


def _read_all(fd: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes from ``fd`` (one more than allowed shows the file is too big)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _entries(fd: int, base: str, pattern: str, limit: int) -> list[dict[str, Any]]:
    """The entries of the open directory ``fd`` matching ``pattern``, looked at without following symlinks."""
    entries = []
    for name in sorted(os.listdir(fd)):
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:  # removed since the listing
            continue
        shown = name if base == "." else f"{base}/{name}"
        entries.append({"name": name, "path": shown, "type": _kind(info.st_mode), "size": info.st_size})
        if len(entries) >= limit:
            break
    return entries


def _read_file(box: Sandbox, max_read_bytes: int) -> Tool:
    @tool(input_types=["path"], output_types=["text"], cost=0.05, quality=0.95, timeout=10)
    def read_file(path: str, encoding: str = "utf-8") -> str:
        """Read a text file inside the sandbox root.

        Files over the size limit and binary files are refused rather than truncated,
        so a caller never mistakes part of a file for all of it.

        Args:
            path: file path, relative to the sandbox root
            encoding: text encoding of the file
        """
        with box.open(path, READ) as fd:
            size = check_regular(fd, path).st_size
            if size > max_read_bytes:
                raise ValueError(f"file {path!r} is {size} bytes, over the read limit of {max_read_bytes}")
            data = _read_all(fd, max_read_bytes)
        if len(data) > max_read_bytes:  # grew since fstat
            raise ValueError(f"file {path!r} is over the read limit of {max_read_bytes} bytes")
        if b"\x00" in data[:8192]:
            raise ValueError(f"file {path!r} looks binary; only text files can be read")
        try:
            return data.decode(encoding, errors="replace")
        except LookupError as exc:  # unknown, or not a text encoding ("rot13", "zlib_codec")
            raise ValueError(f"cannot read {path!r} as {encoding!r}: {exc}") from None

    return read_file


def _list_dir(box: Sandbox, max_entries: int) -> Tool:
    @tool(input_types=["path"], output_types=["path"], cost=0.05, quality=0.95, timeout=10)
    def list_dir(path: str = ".", pattern: str = "*") -> list[dict[str, Any]]:
        """List a directory inside the sandbox root: name, type and size of each entry, sorted by name.

        Symlinks are reported as such and not followed.

        Args:
            path: directory path, relative to the sandbox root
            pattern: glob pattern the entry names must match, e.g. "*.csv"
        """
        if len(pattern) > MAX_PATTERN_CHARS:
            raise ValueError(f"pattern is over {MAX_PATTERN_CHARS} characters")
        try:
            with box.open(path, READ | getattr(os, "O_DIRECTORY", 0)) as fd:
                return _entries(fd, box.display(path), pattern, max_entries)
        except NotADirectoryError:
            raise NotADirectoryError(f"no directory {path!r} in the sandbox") from None

    return list_dir


def _write_file(box: Sandbox, max_write_bytes: int) -> Tool:
    @tool(input_types=["path", "text"], output_types=["path"], cost=0.05, quality=0.95, needs_approval=True, timeout=10,
          side_effects=True, idempotent=False)  # fmt: skip
    def write_file(path: str, content: str, overwrite: bool = False) -> dict[str, Any]:
        """Write a text file (UTF-8) inside the sandbox root, creating parent directories.

        Needs approval: it changes the user's files. Refuses to replace an existing
        file unless ``overwrite`` is set, and never writes through a symlink.

        Args:
            path: file path, relative to the sandbox root
            content: the text to write
            overwrite: replace the file if it already exists
        """
        data = content.encode("utf-8")
        if len(data) > max_write_bytes:
            raise ValueError(f"content is {len(data)} bytes, over the write limit of {max_write_bytes}")
        if box.display(path) == ".":
            raise IsADirectoryError(f"{path!r} is the sandbox root")
        flags = os.O_WRONLY | os.O_CREAT | (0 if overwrite else os.O_EXCL)
        try:
            with box.open(path, flags, follow=False, make_parents=True) as fd:
                check_regular(fd, path)  # before truncating: a hard link must not be emptied
                os.ftruncate(fd, 0)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
        except FileExistsError:
            raise FileExistsError(f"file {path!r} exists; pass overwrite=true to replace it") from None
        return {"path": box.display(path), "bytes": len(data)}

    return write_file


def _file_info(box: Sandbox) -> Tool:
    @tool(input_types=["path"], output_types=["json"], cost=0.02, quality=0.95, timeout=10)
    def file_info(path: str) -> dict[str, Any]:
        """Describe a file or directory inside the sandbox root: type, size, modification time (UTC).

        Args:
            path: path, relative to the sandbox root
        """
        try:
            with box.open(path, INSPECT) as fd:
                info = os.fstat(fd)
        except FileNotFoundError:
            raise FileNotFoundError(f"nothing at {path!r} in the sandbox") from None
        shown = box.display(path)
        return {
            "path": shown,
            "type": _kind(info.st_mode),
            "size": info.st_size,
            "modified": datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds"),
            "suffix": os.path.splitext(shown)[1] if shown != "." else "",
        }

    return file_info


def build(
    root: str | os.PathLike[str] | None = None,
    *,
    max_read_bytes: int = MAX_READ_BYTES,
    max_write_bytes: int = MAX_WRITE_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> list[Tool]:
    """The four file tools bound to one sandbox (``root=None``: the current directory at call time)."""
    for option, value in (("max_read_bytes", max_read_bytes), ("max_write_bytes", max_write_bytes), ("max_entries", max_entries)):
        positive("files", option, value)
    box = Sandbox(root)
    return [_read_file(box, max_read_bytes), _list_dir(box, max_entries), _write_file(box, max_write_bytes), _file_info(box)]


read_file, list_dir, write_file, file_info = build()


def pack(
    root: str | os.PathLike[str] | None = None,
    *,
    max_read_bytes: int = MAX_READ_BYTES,
    max_write_bytes: int = MAX_WRITE_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> ToolRegistry:
    """The file tools confined to ``root`` (default: the current directory)."""
    tools = build(root, max_read_bytes=max_read_bytes, max_write_bytes=max_write_bytes, max_entries=max_entries)
    return registry("files", tools)


__all__ = ["build", "file_info", "list_dir", "pack", "read_file", "write_file"]
