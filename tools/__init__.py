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

From the command line a pack takes its options as ``PACK:key=value[,key=value]``
(see :func:`parse_pack_options`), e.g. ``http:allow_hosts=example.org;api.example.org``,
``files:root=/tmp/x``, ``taskbench:domain_dir=DIR``; ``PACK:VALUE`` (no ``=``) sets the pack's
first option, e.g. ``taskbench:DIR``.

Resource types used for the tool graph: ``text``, ``number``, ``datetime``, ``path``,
``url``, ``table``, ``json`` (and TaskBench's own, e.g. ``image``, ``audio``).
Sandbox refusals (paths outside a root, hosts off the allowlist, writes to a
read-only database) raise :class:`AccessDenied`, a ``PermissionError``. Numeric options
are limits and must be positive and finite (``data:max_rows=-5`` is a ConfigError);
a writable ``data`` pack's ``sqlite_query`` asks for approval before statements that may write.
"""

from __future__ import annotations

import inspect
import os
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agentkit.errors import ConfigError
from agentkit.plugins import ENTRY_POINT_GROUPS, Registry
from agentkit.registry import ToolRegistry

from ._common import AccessDenied

PackFactory = Callable[..., ToolRegistry]
"""``factory(**options) -> ToolRegistry``: a pack's options are its keyword parameters."""

#: Pack names to pack factories: the built-in packs (each module's ``pack``, imported when
#: used: http pulls in httpx), then :func:`register_pack` and ``agentkit.packs`` entry points.
PACKS: Registry[PackFactory] = Registry("tool pack", ENTRY_POINT_GROUPS["pack"], known="known packs")
for _name in ("files", "math", "datetime", "text", "data", "http", "taskbench"):
    PACKS.register(_name, f"{__name__}.{_name}:pack")


def register_pack(name: str, factory: PackFactory) -> None:
    """Make ``--tools NAME`` / ``load_pack(NAME, **options)`` build ``factory(**options)``.

    The factory's keyword parameters are the pack's options (``NAME:key=value`` on the
    command line, converted by their type hints; see :func:`parse_pack_options`).
    """
    PACKS.register(name, factory)


def _signature_of(factory: PackFactory) -> tuple[inspect.Signature, dict[str, Any]]:
    """The factory's signature and type hints (a class's ``__init__`` without ``self``)."""
    target = factory.__init__ if isinstance(factory, type) else factory  # type: ignore[misc]
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolvable annotations: every option is then read as text
        hints = {}
    return inspect.signature(factory), hints


def load_pack(name: str, **options: Any) -> ToolRegistry:
    """The tool pack ``name`` built with ``options``; ConfigError for an unknown pack or option."""
    factory = PACKS.get(name)  # ConfigError listing the known packs
    if name == "taskbench" and "domain_dir" not in options:
        raise ConfigError("tool pack 'taskbench' needs domain_dir: a TaskBench domain folder (with tool_desc.json)")
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ConfigError(f"tool pack {name!r}: {exc}") from None
    try:
        registry = factory(**options)
    except (OSError, ValueError) as exc:  # e.g. a sandbox root that is not a directory
        raise ConfigError(f"tool pack {name!r}: {exc}") from None
    if not isinstance(registry, ToolRegistry):
        raise ConfigError(f"tool pack {name!r} built a {type(registry).__name__}, not a ToolRegistry")
    return registry


#: Separator of the items of a list-valued option on the command line (``allow_hosts=a;b``).
LIST_SEPARATOR = ";"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _option_parser(hint: Any) -> Callable[[str], Any] | None:
    """How a command-line string becomes a value of type ``hint``; None when it cannot."""
    if hint is bool:
        return _parse_bool
    if hint in (int, float):
        return lambda text: _parse_number(hint, text)
    origin = typing.get_origin(hint)
    if origin in (list, tuple, Iterable, Sequence):
        return lambda text: [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    members = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    if any(m is str or m is os.PathLike or typing.get_origin(m) is os.PathLike for m in members):
        return str
    return None


def _parse_number(kind: type, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


def _parse_bool(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_pack_options(name: str, text: str) -> dict[str, Any]:
    """The keyword arguments of pack ``name`` written as ``key=value[,key=value]`` (or one bare ``VALUE``).

    Values are converted to the type of the pack's parameter: numbers, booleans
    (true/false, yes/no, 1/0), and lists whose items are separated by ``;``
    (``allow_hosts=example.org;api.example.org``). A bare ``VALUE`` without ``=`` sets the
    pack's first option (``taskbench:DIR``, ``files:/tmp/x``). ConfigError for an unknown
    pack, an unknown or repeated option, or a value of the wrong type.
    """
    signature, hints = _signature_of(PACKS.get(name))
    params = [
        p.name for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and _option_parser(hints.get(p.name, str)) is not None
    ]  # fmt: skip
    if not text.strip():
        return {}
    if not params:
        raise ConfigError(f"tool pack {name!r} takes no options")
    pairs = [(params[0], text)] if "=" not in text else [item.partition("=")[::2] for item in text.split(",")]
    options: dict[str, Any] = {}
    for key, value in pairs:
        key = key.strip()
        if key not in params:
            raise ConfigError(f"tool pack {name!r}: unknown option {key!r} (options: {', '.join(params)})")
        if key in options:
            raise ConfigError(f"tool pack {name!r}: option {key!r} given twice")
        parse = _option_parser(hints.get(key, str))
        assert parse is not None  # params holds only options the command line can set
        try:
            options[key] = parse(value.strip())
        except ValueError as exc:
            raise ConfigError(f"tool pack {name!r}: option {key!r}: {exc}") from None
    return options


__all__ = ["LIST_SEPARATOR", "PACKS", "AccessDenied", "PackFactory", "load_pack", "parse_pack_options", "register_pack"]
