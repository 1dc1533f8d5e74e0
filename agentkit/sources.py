"""Tool sources: what ``--tools``, the config file's ``tools`` and ``Agent(tools=[...])`` take, in one place.

``load_tools("math", "http:allow_hosts=example.org", "taskbench:DIR", "tools.jsonl")``
merges every source into one :class:`LoadedTools` (a registry and the tool-graph links
the sources bring). A source is:

- a tool pack (``agentkit.tools``, :func:`agentkit.tools.register_pack`), with options as
  ``PACK:key=value[,key=value]`` or ``PACK:VALUE`` (the first option);
- ``PREFIX:REST`` for a registered source kind (``mcp:URL``;
  :func:`register_source`, or an ``agentkit.sources`` entry point), or an MCP config
  (an ``mcp.json`` file, or its contents as a dict);
- a TaskBench domain folder, or its ``tool_desc.json``: simulated tools plus the
  ``graph_desc.json`` links (also ``taskbench:DIR``);
- a tool file (OpenAI tool JSON, ``tools.jsonl``, an MCP ``mcp.json``, a ``.py`` of ``@tool``
  functions) or a dotted Python module name;
- already-built tools: a :class:`Tool`, a :class:`ToolRegistry`, a :class:`LoadedTools`.

A known pack name wins over a same-named path (write ``./files`` for a folder called ``files``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, Union

from pydantic import BaseModel

from .errors import AgentkitError, ConfigError
from .plugins import Registry
from .registry import ToolRegistry
from .tool import Tool

#: What a command line without ``--tools`` gets.
DEFAULT_PACKS = ("math", "datetime", "text")


class LoadedTools(NamedTuple):
    """The tools of some sources, and the tool-graph links they bring (TaskBench ``graph_desc.json``)."""

    registry: ToolRegistry
    links: list[tuple[str, str]]


ToolSource = Union[str, os.PathLike[str], Tool, ToolRegistry, LoadedTools, dict[str, Any]]  # dict: an MCP config
SourceLoader = Callable[[str], ToolRegistry | LoadedTools]
"""``loader(rest) -> tools``: what ``PREFIX:REST`` loads for a registered source kind."""

#: Source kinds by prefix (``mcp:URL``); tool packs are :data:`agentkit.tools.PACKS`.
SOURCES: Registry[SourceLoader] = Registry("tool source", "agentkit.sources")


def _mcp(rest: str) -> LoadedTools:
    """``mcp:URL``: the tools of a streamable-HTTP MCP server (its session stays open: agentkit.mcp_client)."""
    from .mcp_client import MCP_PREFIX, load_mcp_tools

    return LoadedTools(ToolRegistry(load_mcp_tools(MCP_PREFIX + rest)), [])


SOURCES.register("mcp", _mcp)

_PREFIXED = re.compile(r"([A-Za-z_][\w-]*):(.*)", re.DOTALL)
_TASKBENCH_HINT = "pass the TaskBench domain folder (with tool_desc.json): --tools DIR or --tools taskbench:DIR"


def register_source(prefix: str, loader: SourceLoader) -> None:
    """Make ``PREFIX:REST`` a tool source loaded by ``loader(REST)`` (a ToolRegistry or LoadedTools)."""
    SOURCES.register(prefix, loader)


def _is_taskbench(path: Path) -> bool:
    """A TaskBench domain: a folder (its tool_desc.json), a tool_desc.json, or a .json with a 'nodes' list."""
    if path.is_dir() or path.name == "tool_desc.json":
        return True
    if path.suffix == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return False  # the file loader reports it
        return isinstance(data, dict) and isinstance(data.get("nodes"), list)
    return False


def load_taskbench(domain: str | os.PathLike[str]) -> LoadedTools:
    """A TaskBench domain, executable: simulated tools, plus its graph_desc.json links."""
    from .tools.taskbench import load_domain

    path = Path(domain)
    if not path.exists():
        raise ConfigError(f"TaskBench domain folder {str(domain)!r} not found: {_TASKBENCH_HINT}")
    if path.is_dir() and not (path / "tool_desc.json").is_file():
        raise ConfigError(f"folder {str(domain)!r} is not a TaskBench domain (no tool_desc.json); tool files are .json, .jsonl or .py")
    loaded = load_domain(path)
    return LoadedTools(loaded.registry, list(loaded.links))


def _load_pack(name: str, text: str | None) -> LoadedTools:
    from .tools import load_pack, parse_pack_options

    options = parse_pack_options(name, text) if text is not None else {}
    if name != "taskbench":
        return LoadedTools(load_pack(name, **options), [])
    if "domain_dir" not in options:
        raise ConfigError(f"the taskbench pack needs a domain folder: {_TASKBENCH_HINT}")
    return load_taskbench(str(options["domain_dir"]))


def load_source(source: str | os.PathLike[str]) -> LoadedTools:
    """The tools of one source written as text (see the module docstring for the forms)."""
    from .loaders import load_tools as load_file
    from .tools import PACKS

    text = os.fspath(source)
    match = _PREFIXED.fullmatch(text)
    if text in PACKS:
        return _load_pack(text, None)
    if match and not Path(text).exists():
        prefix, rest = match.groups()
        if prefix in SOURCES and prefix not in PACKS:
            loaded = SOURCES.get(prefix)(rest)
            return loaded if isinstance(loaded, LoadedTools) else LoadedTools(loaded, [])
        return _load_pack(prefix, rest)  # ConfigError: unknown tool pack
    path = Path(text)
    if _is_taskbench(path):
        return load_taskbench(path)
    if path.exists() or text.endswith((".json", ".jsonl", ".py")):
        return LoadedTools(load_file(text), [])
    if "." in text and not text.startswith(".") and all(part.isidentifier() for part in text.split(".")):
        return LoadedTools(load_file(text), [])  # a dotted Python module name
    return _load_pack(text, None)  # ConfigError: unknown tool pack


def _loaded(source: ToolSource) -> LoadedTools:
    if isinstance(source, LoadedTools):
        return source
    if isinstance(source, ToolRegistry):
        return LoadedTools(source, [])
    if isinstance(source, Tool):
        return LoadedTools(ToolRegistry([source]), [])
    if isinstance(source, (str, os.PathLike)):
        return load_source(source)
    from .langchain_tools import from_langchain, is_langchain_tool
    from .mcp_client import is_mcp_source, load_mcp_tools

    if is_langchain_tool(source):  # a LangChain BaseTool
        return LoadedTools(ToolRegistry([from_langchain(source)]), [])
    if is_mcp_source(source):  # an MCP config as a dict or MCPConfig
        return LoadedTools(ToolRegistry(load_mcp_tools(source)), [])
    raise TypeError(
        "a tool source is a string, a path, a Tool, a LangChain tool, an MCP config, a ToolRegistry or LoadedTools,"
        f" not {type(source).__name__}"
    )


def load_tools(*sources: ToolSource | Iterable[ToolSource]) -> LoadedTools:
    """Every source's tools merged into one registry, with the links they bring.

    Sources may also come as lists (``load_tools(["math", "text"], my_tool)``). Two
    sources defining the same tool name is a ConfigError naming the source.
    """
    registry, links = ToolRegistry(), list[tuple[str, str]]()
    for source in _flatten(sources):
        part = _loaded(source)
        try:
            registry = registry.merge(part.registry)
        except AgentkitError as exc:
            raise ConfigError(f"tool source {_shown(source)}: {exc}") from None
        links.extend(link for link in part.links if link not in links)
    return LoadedTools(registry, links)


def _flatten(sources: Iterable[ToolSource | Iterable[ToolSource]]) -> list[ToolSource]:
    flat: list[ToolSource] = []
    for source in sources:
        if isinstance(source, (str, os.PathLike, Tool, ToolRegistry, LoadedTools, dict, BaseModel)):
            flat.append(source)
        elif isinstance(source, Iterable):
            flat += _flatten(source)
        else:
            flat.append(source)  # _loaded names what it is
    return flat


def _shown(source: ToolSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return type(source).__name__


__all__ = ["DEFAULT_PACKS", "SOURCES", "LoadedTools", "ToolSource", "load_source", "load_taskbench", "load_tools", "register_source"]
