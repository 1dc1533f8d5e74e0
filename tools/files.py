"""File tools confined to one root directory: read, list, write (with approval), inspect.

Every path goes through :class:`~agentkit.tools._common.Sandbox`, so ``..``, absolute
paths outside the root and symlinks pointing out of it are refused with
:class:`~agentkit.tools._common.AccessDenied` before anything is opened.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from ._common import AccessDenied, Sandbox, registry

MAX_READ_BYTES = 1_000_000
MAX_WRITE_BYTES = 1_000_000
MAX_ENTRIES = 1_000


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"


def build(
    root: str | os.PathLike[str] | None = None,
    *,
    max_read_bytes: int = MAX_READ_BYTES,
    max_write_bytes: int = MAX_WRITE_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> list[Tool]:
    """The four file tools bound to one sandbox (``root=None``: the current directory at call time)."""
    box = Sandbox(root)

    @tool(input_types=["path"], output_types=["text"], cost=0.05, quality=0.95, timeout=10)
    def read_file(path: str, encoding: str = "utf-8") -> str:
        """Read a text file inside the sandbox root.

        Files over the size limit and binary files are refused rather than truncated,
        so a caller never mistakes part of a file for all of it.

        Args:
            path: file path, relative to the sandbox root
            encoding: text encoding of the file
        """
        real = box.resolve(path)
        if not real.is_file():
            raise FileNotFoundError(f"no file {path!r} in the sandbox")
        size = real.stat().st_size
        if size > max_read_bytes:
            raise ValueError(f"file {path!r} is {size} bytes, over the read limit of {max_read_bytes}")
        with open(real, "rb") as fh:
            data = fh.read(max_read_bytes + 1)
        if len(data) > max_read_bytes:  # grew since stat
            raise ValueError(f"file {path!r} is over the read limit of {max_read_bytes} bytes")
        if b"\x00" in data[:8192]:
            raise ValueError(f"file {path!r} looks binary; only text files can be read")
        return data.decode(encoding, errors="replace")

    @tool(input_types=["path"], output_types=["path"], cost=0.05, quality=0.95, timeout=10)
    def list_dir(path: str = ".", pattern: str = "*") -> list[dict[str, Any]]:
        """List a directory inside the sandbox root: name, type and size of each entry, sorted by name.

        Symlinks are reported as such and not followed.

        Args:
            path: directory path, relative to the sandbox root
            pattern: glob pattern the entry names must match, e.g. "*.csv"
        """
        real = box.resolve(path)
        if not real.is_dir():
            raise NotADirectoryError(f"no directory {path!r} in the sandbox")
        entries = []
        for child in sorted(real.iterdir(), key=lambda p: p.name):
            if not fnmatch.fnmatchcase(child.name, pattern):
                continue
            info = child.lstat()
            entries.append({"name": child.name, "path": (Path(box.relative(real)) / child.name).as_posix(),
                            "type": _kind(info.st_mode), "size": info.st_size})  # fmt: skip
            if len(entries) >= max_entries:
                break
        return entries

    @tool(input_types=["path", "text"], output_types=["path"], cost=0.05, quality=0.95, needs_approval=True, timeout=10)
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
        real = box.resolve(path)
        if real.is_dir():
            raise IsADirectoryError(f"{path!r} is a directory")
        real.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            fd = os.open(real, flags, 0o644)
        except FileExistsError:
            raise FileExistsError(f"file {path!r} exists; pass overwrite=true to replace it") from None
        except OSError as exc:  # ELOOP: the last component became a symlink
            raise AccessDenied(f"cannot write {path!r}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return {"path": box.relative(real), "bytes": len(data)}

    @tool(input_types=["path"], output_types=["json"], cost=0.02, quality=0.95, timeout=10)
    def file_info(path: str) -> dict[str, Any]:
        """Describe a file or directory inside the sandbox root: type, size, modification time (UTC).

        Args:
            path: path, relative to the sandbox root
        """
        real = box.resolve(path)
        if not real.exists():
            raise FileNotFoundError(f"nothing at {path!r} in the sandbox")
        info = real.stat()
        return {
            "path": box.relative(real),
            "type": _kind(info.st_mode),
            "size": info.st_size,
            "modified": datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds"),
            "suffix": real.suffix,
        }

    return [read_file, list_dir, write_file, file_info]


read_file, list_dir, write_file, file_info = build()


def pack(
    root: str | os.PathLike[str] | None = None,
    *,
    max_read_bytes: int = MAX_READ_BYTES,
    max_write_bytes: int = MAX_WRITE_BYTES,
    max_entries: int = MAX_ENTRIES,
) -> ToolRegistry:
    """The file tools confined to ``root`` (default: the current directory)."""
    return registry("files", build(root, max_read_bytes=max_read_bytes, max_write_bytes=max_write_bytes, max_entries=max_entries))


__all__ = ["build", "file_info", "list_dir", "pack", "read_file", "write_file"]
