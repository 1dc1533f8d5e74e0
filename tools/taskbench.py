"""TaskBench tools made executable by *simulated* implementations.

TaskBench documents tools (Hugging Face models, multimedia APIs, daily-life APIs)
but ships no implementations. To run its plans end to end, each tool here returns a
typed placeholder that says it is simulated, e.g.::

    {"simulated": True, "tool": "Text-to-Image", "type": "image",
     "value": "<simulated image from Text-to-Image>", "arguments": {"text": "a cat"}}

and the Tool is marked ``simulated=True`` so results and reports can say so.
Resource tools (huggingface, multimedia) take one argument per input type and also
accept an upstream node's placeholder object there, so ``<node-j>`` references flow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from agentkit.loaders import TaskBenchTools, load_taskbench_tools
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool

from ._common import registry

_SHOWN_CHARS = 200


def _shown(value: Any) -> Any:
    """An argument as it appears in a placeholder: upstream placeholders by their value, long text cut."""
    if isinstance(value, dict) and value.get("simulated"):
        return value.get("value")
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def simulated_output(t: Tool, arguments: dict[str, Any]) -> dict[str, Any]:
    """The placeholder ``t`` returns for ``arguments``: one typed value per output type (or a generic result)."""
    outputs = t.output_types
    if len(outputs) == 1:
        kind: Any = outputs[0]
        value: Any = f"<simulated {kind} from {t.name}>"
    elif outputs:
        kind, value = list(outputs), [f"<simulated {o} from {t.name}>" for o in outputs]
    else:
        kind, value = "result", f"<simulated result of {t.name}>"
    return {"simulated": True, "tool": t.name, "type": kind, "value": value,
            "arguments": {k: _shown(v) for k, v in arguments.items()}}  # fmt: skip


def _executor(doc: Tool) -> Callable[..., dict[str, Any]]:
    def run(**arguments: Any) -> dict[str, Any]:
        return simulated_output(doc, arguments)

    run.__name__ = run.__qualname__ = f"simulated_{doc.name}"
    return run


def _accepting_upstream(parameters: dict[str, Any], input_types: list[str]) -> dict[str, Any]:
    """Resource inputs may be text (a path, URL, prompt) or an upstream tool's placeholder object."""
    props = {}
    for name, schema in parameters.get("properties", {}).items():
        if name in input_types and schema.get("type") == "string":
            # anyOf rather than "type": [...]: pydantic's Optional fields use it too, so every consumer knows it
            schema = {"anyOf": [{"type": "string"}, {"type": "object"}],
                      "description": f"the input {name}: a path, URL or text, or an upstream tool's output"}  # fmt: skip
        props[name] = schema
    return {**parameters, "properties": props}


def simulate(doc: Tool) -> Tool:
    """A copy of the documentation-only tool ``doc`` with a simulated implementation."""
    fields = doc.model_dump(exclude={"func", "simulated", "parameters"})
    parameters = _accepting_upstream(doc.parameters, doc.input_types)
    built = Tool(**fields, parameters=parameters, simulated=True, func=None)
    built.func = _executor(built)
    return built


def load_domain(domain_dir: str | os.PathLike[str]) -> TaskBenchTools:
    """A TaskBench domain (folder with ``tool_desc.json``) with simulated tools, its tool-graph links and dependency kind."""
    loaded = load_taskbench_tools(os.fspath(domain_dir))
    tools = registry("taskbench", (simulate(t) for t in loaded.registry))
    return TaskBenchTools(registry=tools, links=loaded.links, dependency=loaded.dependency)


def pack(domain_dir: str | os.PathLike[str]) -> ToolRegistry:
    """The simulated tools of the TaskBench domain in ``domain_dir`` (its ``tool_desc.json``)."""
    return load_domain(domain_dir).registry


__all__ = ["load_domain", "pack", "simulate", "simulated_output"]
