"""Ready-made, executable tool packs: ``load_pack("math")`` or ``agentkit.tools.math.pack()``.

=========  ===================================================  =====================================
pack       tools                                                ``pack()`` options
=========  ===================================================  =====================================
files      read_file, list_dir, write_file (approval), file_info root, max_read_bytes, max_write_bytes, max_entries
math       calculate, convert_units, percentage_of              (none)
datetime   now, date_difference, add_duration, weekday,         (none)
           format_datetime
text       text_stats, summarize_text, regex_find, change_case, (none)
           extract_keywords
data       csv_query, sqlite_query                              root, writable, max_rows, max_file_bytes, query_seconds
http       fetch                                                allow_hosts, timeout, max_bytes, transport
taskbench  simulated tools of a TaskBench domain                domain_dir
=========  ===================================================  =====================================

Resource types used for the tool graph: ``text``, ``number``, ``datetime``, ``path``,
``url``, ``table``, ``json`` (and TaskBench's own, e.g. ``image``, ``audio``).
Sandbox refusals (paths outside a root, hosts off the allowlist, writes to a
read-only database) raise :class:`AccessDenied`, a ``PermissionError``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from agentkit.errors import ConfigError
from agentkit.registry import ToolRegistry

from ._common import AccessDenied


def _factory(module: str) -> Callable[..., ToolRegistry]:
    """The module's ``pack`` function, imported only when the pack is used (http pulls in httpx)."""

    def load(**options: Any) -> ToolRegistry:
        return importlib.import_module(f"{__name__}.{module}").pack(**options)

    load.__name__ = f"{module}_pack"
    load.__doc__ = f"Build the {module!r} pack (see agentkit.tools.{module}.pack)."
    return load


PACKS: dict[str, Callable[..., ToolRegistry]] = {
    name: _factory(name) for name in ("files", "math", "datetime", "text", "data", "http", "taskbench")
}


def load_pack(name: str, **options: Any) -> ToolRegistry:
    """The tool pack ``name`` built with ``options``; ConfigError for an unknown pack or option."""
    if name not in PACKS:
        raise ConfigError(f"unknown tool pack {name!r} (known packs: {', '.join(PACKS)})")
    factory = importlib.import_module(f"{__name__}.{name}").pack
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ConfigError(f"tool pack {name!r}: {exc}") from None
    try:
        return factory(**options)
    except (OSError, ValueError) as exc:  # e.g. a sandbox root that is not a directory
        raise ConfigError(f"tool pack {name!r}: {exc}") from None


__all__ = ["PACKS", "AccessDenied", "load_pack"]
