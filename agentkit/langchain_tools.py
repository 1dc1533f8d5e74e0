"""LangChain tools as agentkit tools: any ``langchain_core.tools.BaseTool`` (``@tool`` functions, toolkits).

``Agent(tools=[lc_tool, ...])`` and ``ToolRegistry`` take them as they are (:func:`as_tool` converts);
the name, the description and the parameter schema come from LangChain's own OpenAI conversion
(``tool_call_schema``, so injected arguments stay hidden), and calls go through ``ainvoke`` (a
sync-only tool runs in LangChain's executor). langchain-core comes with langgraph: nothing to install.
"""

from __future__ import annotations

import sys
from typing import Any

import docstring_parser

from .errors import ToolDefinitionError
from .tool import Tool


def is_langchain_tool(obj: Any) -> bool:
    """A LangChain ``BaseTool`` (checked without importing LangChain when it was never imported)."""
    module = sys.modules.get("langchain_core.tools")
    return module is not None and isinstance(obj, module.BaseTool)


def from_langchain(lc_tool: Any, **fields: Any) -> Tool:
    """A :class:`Tool` that calls ``lc_tool``; ``fields`` set agentkit's own (``needs_approval``, ``prior``, ...).

    A description with an ``Args:`` section (``@tool`` without ``parse_docstring``) is split:
    the summary stays the description, each argument's line becomes its parameter's description.
    """
    if not is_langchain_tool(lc_tool):
        raise ToolDefinitionError(f"expected a LangChain BaseTool, got {type(lc_tool).__name__}")
    from langchain_core.utils.function_calling import convert_to_openai_tool

    try:
        function = convert_to_openai_tool(lc_tool)["function"]
    except Exception as exc:  # noqa: BLE001 - LangChain raises many kinds for a schema it cannot convert
        raise ToolDefinitionError(f"LangChain tool {getattr(lc_tool, 'name', '?')!r}: cannot read its schema: {exc}") from None
    parameters = dict(function.get("parameters") or {"type": "object", "properties": {}})
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    description = _split_docstring(function.get("description") or "", parameters)

    async def call(**arguments: Any) -> Any:
        return await lc_tool.ainvoke(arguments)

    call.__name__ = f"langchain_{function['name']}"
    return Tool(name=function["name"], description=description, parameters=parameters, func=call, **fields)


def _split_docstring(description: str, parameters: dict[str, Any]) -> str:
    doc = docstring_parser.parse(description)
    if not doc.params:
        return description
    properties = parameters["properties"] = {name: dict(schema) for name, schema in parameters["properties"].items()}
    for param in doc.params:
        schema = properties.get(param.arg_name)
        if schema is not None and param.description and not schema.get("description"):
            schema["description"] = param.description
    return "\n\n".join(part for part in (doc.short_description, doc.long_description) if part)


def as_tool(obj: Any) -> Tool:
    """``obj`` if it is a Tool, its conversion if it is a LangChain tool; ToolDefinitionError otherwise."""
    if isinstance(obj, Tool):
        return obj
    if is_langchain_tool(obj):
        return from_langchain(obj)
    raise ToolDefinitionError(
        f"expected a Tool or a LangChain BaseTool, got {type(obj).__name__} (decorate functions with @tool)"
    )


__all__ = ["as_tool", "from_langchain", "is_langchain_tool"]
