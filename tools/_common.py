"""Shared pieces of the tool packs: the sandbox error, path confinement, pack categories."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool


class AccessDenied(PermissionError):
    """A request that a pack's sandbox refuses (path outside the root, host not allowed, write in read-only mode).

    A ``PermissionError`` so callers can catch it without importing agentkit; the
    executor wraps it in a ToolExecutionError like any other tool exception.
    """


class Sandbox:
    """A root directory that every path a tool touches must stay inside.

    ``..`` components are refused outright (clear error, no clever normalisation);
    everything else is resolved (following symlinks) and must land under the
    resolved root, which catches absolute paths and symlink escapes alike.
    ``root=None`` means the current directory at call time.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self._root = None if root is None else Path(root)
        if self._root is not None and not self._root.is_dir():
            raise NotADirectoryError(f"sandbox root {str(self._root)!r} is not a directory")

    @property
    def root(self) -> Path:
        return (self._root if self._root is not None else Path.cwd()).resolve(strict=True)

    def resolve(self, path: str) -> Path:
        """The real path of ``path`` (relative to the root, or absolute inside it); AccessDenied otherwise."""
        if "\x00" in path:
            raise AccessDenied("path contains a NUL byte")
        candidate = Path(path)
        if ".." in candidate.parts:
            raise AccessDenied(f"path {path!r} uses '..'; paths must stay inside the sandbox root")
        root = self.root
        real = (candidate if candidate.is_absolute() else root / candidate).resolve(strict=False)
        if not real.is_relative_to(root):
            raise AccessDenied(f"path {path!r} resolves outside the sandbox root")
        return real

    def relative(self, real: Path) -> str:
        """``real`` as a POSIX path relative to the root (``.`` for the root itself)."""
        return real.relative_to(self.root).as_posix() or "."


def registry(category: str, tools: Iterable[Tool]) -> ToolRegistry:
    """A registry of ``tools``, each tagged with the pack name as its category."""
    built = ToolRegistry()
    for t in tools:
        t.category = category
        built.add(t)
    return built


__all__ = ["AccessDenied", "Sandbox", "registry"]
