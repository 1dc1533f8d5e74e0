"""Loaders for real tool documentation formats.

* OpenAI tool / function JSON (a list, ``{"tools": [...]}`` or one object)
* TaskBench ``tool_desc.json`` (+ ``graph_desc.json`` links)
* the ``tools.jsonl`` format of tool-retrieval sets (ToolRet-style: name, description, parameters)
* a Python module (file path or dotted name) of ``@tool`` functions

Every problem is a :class:`~agentkit.errors.ToolLoadError` naming the file and entry.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .errors import AgentkitError, ToolLoadError
from .mcp_client import is_mcp_source, load_mcp_tools
from .registry import ToolRegistry
from .sanitize import bound_text, printable
from .tool import Tool

# TaskBench's dailylifeapis parameter types -> JSON Schema.
_TASKBENCH_TYPES = {
    "string": {"type": "string"},
    "str": {"type": "string"},
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string"},
    "number": {"type": "number"},
    "float": {"type": "number"},
    "integer": {"type": "integer"},
    "int": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
}


class TaskBenchTools(BaseModel):
    """What a TaskBench domain folder describes: its tools and its tool-graph links."""

    model_config = {"arbitrary_types_allowed": True}

    registry: ToolRegistry
    links: list[tuple[str, str]] = Field(default_factory=list)
    dependency: str = "resource"  # "resource" (huggingface, multimedia) or "temporal" (dailylifeapis)


MAX_FILE_BYTES = 512 * 1024 * 1024  # a tool pool of 10,000 tools is about 10 MB


def _read_text(path: Path) -> str:
    """A tool file's text; anything that keeps it from being UTF-8 text of a sane size is a ToolLoadError."""
    source = str(path)
    try:
        if path.is_dir():
            raise ToolLoadError("is a directory, not a tool file", source=source)
        if path.exists() and not path.is_file():
            raise ToolLoadError("not a regular file", source=source)
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ToolLoadError("file not found", source=source) from None
    except OSError as exc:
        raise ToolLoadError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise ToolLoadError(f"cannot read file: {exc}", source=source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ToolLoadError(f"file larger than {MAX_FILE_BYTES // 2**20} MB", source=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ToolLoadError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})", source=source) from None


def _parse_json(text: str, source: str, entry: str | None = None) -> Any:
    """JSON text as data; bad JSON, nesting Python cannot follow and unprintable numbers are ToolLoadErrors."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "" if entry else f" at line {exc.lineno} column {exc.colno}"
        raise ToolLoadError(f"invalid JSON{where}: {exc.msg}", source=source, entry=entry) from None
    except RecursionError:
        raise ToolLoadError("invalid JSON: nested too deeply", source=source, entry=entry) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ToolLoadError(f"invalid JSON: {exc}", source=source, entry=entry) from None


def _read_json(path: Path) -> Any:
    return _parse_json(_read_text(path), str(path))


def _read_jsonl(path: Path) -> list[tuple[int, Any]]:
    rows = []
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if line.strip():
            rows.append((lineno, _parse_json(line, str(path), f"line {lineno}")))
    return rows


def _build(source: str, entry: str | int, **fields: Any) -> Tool:
    try:
        return Tool(**fields)
    except AgentkitError as exc:
        raise ToolLoadError(str(exc), source=source, entry=entry) from None
    except ValueError as exc:  # pydantic ValidationError
        first = exc.errors()[0] if hasattr(exc, "errors") else None  # type: ignore[attr-defined]
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}" if first else str(exc)
        raise ToolLoadError(detail, source=source, entry=entry) from None


def _entry(i: int, name: str) -> str:
    """An entry's id for messages: its index and its name, escaped (a name may hold terminal escapes) and bounded."""
    return f"{i} ({printable(bound_text(name, 80))})"


def _registry(source: str, tools: list[tuple[str | int, Tool]]) -> ToolRegistry:
    registry = ToolRegistry()
    for entry, t in tools:
        if t.name in registry:
            raise ToolLoadError(f"duplicate tool name {t.name!r}", source=source, entry=entry)
        registry.add(t)
    return registry


# -- OpenAI ---------------------------------------------------------------------------------


def tools_from_openai(data: Any, *, source: str = "<openai tools>") -> ToolRegistry:
    """Tools from OpenAI ``tools`` entries (``{"type": "function", "function": {...}}`` or bare functions)."""
    if isinstance(data, dict) and "tools" in data:
        data = data["tools"]
    elif isinstance(data, dict) and "functions" in data:
        data = data["functions"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ToolLoadError("expected a list of tools", source=source)
    built: list[tuple[str | int, Tool]] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ToolLoadError("expected an object", source=source, entry=i)
        fn = entry.get("function", entry) if entry.get("type", "function") == "function" else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ToolLoadError("not a function tool (needs a string 'name')", source=source, entry=i)
        entry_id = _entry(i, fn["name"])
        built.append(
            (
                entry_id,
                _build(
                    source,
                    entry_id,
                    name=fn["name"],
                    description=fn.get("description", ""),
                    parameters=fn.get("parameters") or {"type": "object", "properties": {}},
                ),
            )
        )
    return _registry(source, built)


def load_openai_tools(path: str | Path) -> ToolRegistry:
    path = Path(path)
    return tools_from_openai(_read_json(path), source=str(path))


# -- ToolRet-style tools.jsonl ------------------------------------------------------------


def load_tools_jsonl(path: str | Path) -> ToolRegistry:
    """Tools from a ``tools.jsonl`` file: one ``{name, description, parameters, category?}`` per line."""
    path = Path(path)
    built: list[tuple[str | int, Tool]] = []
    for lineno, row in _read_jsonl(path):
        entry = f"line {lineno}"
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise ToolLoadError("expected an object with a string 'name'", source=str(path), entry=entry)
        description = row.get("description") or ""
        extra = [str(row.get(k)) for k in ("tool", "api") if row.get(k)]
        if extra:
            description = f"{' / '.join(extra)}: {description}".strip()
        built.append(
            (
                entry,
                _build(
                    str(path),
                    entry,
                    name=row["name"],
                    description=description,
                    parameters=_normalise_schema(row.get("parameters")),
                    category=row.get("category"),
                ),
            )
        )
    return _registry(str(path), built)


def _normalise_schema(schema: Any) -> dict[str, Any]:
    if not schema:
        return {"type": "object", "properties": {}}
    if isinstance(schema, dict) and "type" not in schema:
        return {"type": "object", **schema}
    return schema


# -- TaskBench ------------------------------------------------------------------------------


def load_taskbench_tools(path: str | Path) -> TaskBenchTools:
    """Tools of a TaskBench domain: a folder with ``tool_desc.json`` (+ ``graph_desc.json``), or the file itself."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    desc_path = path if path.is_file() else folder / "tool_desc.json"
    data = _read_json(desc_path)
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, list):
        raise ToolLoadError("expected an object with a 'nodes' list", source=str(desc_path))
    built: list[tuple[str | int, Tool]] = []
    temporal = False
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            raise ToolLoadError("expected an object with a string 'id'", source=str(desc_path), entry=i)
        entry = _entry(i, node["id"])
        if "parameters" in node:
            temporal = True
            params = node["parameters"]
            if not isinstance(params, list):
                raise ToolLoadError("'parameters' must be a list", source=str(desc_path), entry=entry)
            properties: dict[str, Any] = {}
            for p in params:
                if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                    raise ToolLoadError("a parameter needs a string 'name'", source=str(desc_path), entry=entry)
                schema = dict(_TASKBENCH_TYPES.get(str(p.get("type", "string")).lower(), {"type": "string"}))
                if p.get("desc"):
                    schema["description"] = p["desc"]
                properties[p["name"]] = schema
            parameters = {"type": "object", "properties": properties, "required": list(properties)}
            fields: dict[str, Any] = {}
        else:
            inputs = node.get("input-type", [])
            outputs = node.get("output-type", [])
            if not _strings(inputs) or not _strings(outputs):
                raise ToolLoadError("'input-type'/'output-type' must be lists of strings", source=str(desc_path), entry=entry)
            # One string argument per input resource, named after its type, as TaskBench's scorer names them.
            parameters = {
                "type": "object",
                "properties": {t: {"type": "string", "description": f"the input {t}"} for t in inputs},
                "required": list(dict.fromkeys(inputs)),
            }
            fields = {"input_types": inputs, "output_types": outputs}
        built.append((entry, _build(str(desc_path), entry, name=node["id"], description=node.get("desc", ""), parameters=parameters, **fields)))
    registry = _registry(str(desc_path), built)

    links: list[tuple[str, str]] = []
    graph_path = folder / "graph_desc.json"
    if graph_path.exists():
        graph = _read_json(graph_path)
        raw_links = graph.get("links") if isinstance(graph, dict) else None
        if not isinstance(raw_links, list):
            raise ToolLoadError("expected an object with a 'links' list", source=str(graph_path))
        for i, link in enumerate(raw_links):
            if not isinstance(link, dict) or not isinstance(link.get("source"), str) or not isinstance(link.get("target"), str):
                raise ToolLoadError("a link needs a string 'source' and 'target'", source=str(graph_path), entry=i)
            for end in (link["source"], link["target"]):
                if end not in registry:
                    raise ToolLoadError(f"link names unknown tool {end!r}", source=str(graph_path), entry=i)
            links.append((link["source"], link["target"]))
    return TaskBenchTools(registry=registry, links=links, dependency="temporal" if temporal else "resource")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# -- Python modules ------------------------------------------------------------------------


def load_python_tools(target: str | Path) -> ToolRegistry:
    """Every module-level :class:`Tool` of a Python file or an importable dotted module name.

    Importing runs the module's code with the user's rights (see SECURITY.md). Whatever it
    raises, ``sys.exit()`` and KeyboardInterrupt included, is a ToolLoadError: a tool file
    cannot end the program (or make ``agentkit tools list`` exit 0 with nothing printed).
    """
    source = str(target)
    name = None
    try:
        if str(target).endswith(".py"):
            path = Path(target)
            if not path.is_file():
                raise ToolLoadError("is a directory, not a tool file" if path.is_dir() else "file not found", source=source)
            name = f"agentkit_user_tools_{abs(hash(path.resolve()))}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                raise ToolLoadError("cannot import this file", source=source)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(str(target))
    except ToolLoadError:
        raise
    except ImportError as exc:
        raise ToolLoadError(f"cannot import: {exc}", source=source) from None
    except SystemExit as exc:
        _forget(name)
        raise ToolLoadError(f"importing called sys.exit({exc.code!r}); a tool file must not exit", source=source) from None
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything at import time (KeyboardInterrupt too)
        _forget(name)
        raise ToolLoadError(bound_text(f"importing raised {type(exc).__name__}: {exc}", 500), source=source) from None
    found = [(attr, value) for attr, value in vars(module).items() if isinstance(value, Tool)]
    if not found:
        raise ToolLoadError("no @tool functions found", source=source)
    return _registry(source, [(attr, t) for attr, t in found])


def _forget(module_name: str | None) -> None:
    if module_name is not None:
        sys.modules.pop(module_name, None)


# -- auto-detection ------------------------------------------------------------------------


def load_tools(target: str | Path) -> ToolRegistry:
    """Load tools from any supported source, picking the format from the path.

    ``mcp:URL`` or a ``.json`` file with ``mcpServers`` is MCP servers (their sessions stay open:
    ``agentkit.mcp_client``); a directory or ``tool_desc.json`` is TaskBench; ``*.jsonl`` is a tools.jsonl pool;
    ``*.json`` is OpenAI tools; ``*.py`` or a dotted module name is Python.
    TaskBench tools come back documentation-only and without the ``graph_desc.json``
    links; ``agentkit.tools.taskbench.load_domain`` gives them simulated executors and the
    links (the CLI's ``--tools DIR`` uses it).
    """
    text = str(target)
    path = Path(text)
    if is_mcp_source(text):  # mcp:URL or an mcp.json ({"mcpServers": ...}): live sessions, see mcp_client
        return ToolRegistry(load_mcp_tools(text))
    if path.is_dir() or path.name == "tool_desc.json":
        return load_taskbench_tools(path).registry
    if text.endswith(".jsonl"):
        return load_tools_jsonl(path)
    if text.endswith(".json"):
        data = _read_json(path)
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            return load_taskbench_tools(path).registry
        return tools_from_openai(data, source=text)
    if text.endswith(".py"):
        return load_python_tools(path)
    if path.exists():
        raise ToolLoadError("unknown tool file format (expected a folder, .json, .jsonl or .py)", source=text)
    return load_python_tools(text)  # a dotted module name

__all__ = [
    "TaskBenchTools",
    "load_openai_tools",
    "load_python_tools",
    "load_taskbench_tools",
    "load_tools",
    "load_tools_jsonl",
    "tools_from_openai",
]
