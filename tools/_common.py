"""Shared pieces of the tool packs: the sandbox error, pack-option checks, pack categories."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from agentkit.errors import ConfigError
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool


class AccessDenied(PermissionError):
    """A request that a pack's sandbox refuses (path outside the root, host not allowed, write in read-only mode).

    A ``PermissionError`` so callers can catch it without importing agentkit; the
    executor wraps it in a ToolExecutionError like any other tool exception.
    """


def shown(value: str, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters with a note of the full length: error texts stay short."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value)} characters)"


def positive(pack: str, name: str, value: Any, *, whole: bool = True, at_most: float | None = None) -> Any:
    """``value`` when it is a positive (whole, when ``whole``) finite number up to ``at_most``; ConfigError otherwise.

    Pack options are limits (rows, bytes, seconds): zero, negative, NaN or infinite ones
    would switch a limit off or make every call fail, so they are refused when the pack is built.
    """
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or value <= 0:
        wanted = "a positive whole number" if whole else "a positive number"
        raise ConfigError(f"tool pack {pack!r}: option {name!r} must be {wanted}, got {value!r}")
    if at_most is not None and value > at_most:
        raise ConfigError(f"tool pack {pack!r}: option {name!r} must be at most {at_most:g}, got {value!r}")
    return value


def registry(category: str, tools: Iterable[Tool]) -> ToolRegistry:
    """A registry of ``tools``, each tagged with the pack name as its category."""
    built = ToolRegistry()
    for t in tools:
        t.category = category
        built.add(t)
    return built


__all__ = ["AccessDenied", "positive", "registry", "shown"]
