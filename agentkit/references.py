"""``<node-j>`` references at execution time: replace them by upstream outputs, coerce to the tool's types.

The syntax itself (``NODE_REF``) lives in :mod:`agentkit.plan`; the planner's grammar and
validation in :mod:`agentkit.planning`. Upstream outputs are untrusted data: when a
reference sits inside a longer string, only a bounded piece of the output is spliced in.
"""

from __future__ import annotations

import json
from typing import Any

from .plan import NODE_REF
from .planning import coerce_value, is_reference
from .tool import Tool

_SPLICE_CHARS = 500  # of an upstream output spliced into a longer string argument
_TEXT_CHARS = 4000  # of an upstream object passed where the tool expects a string


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def resolve_references(value: Any, outputs: dict[int, Any]) -> Any:
    """Replace ``<node-j>`` with node j's output: the object itself when the value is only the reference."""
    if isinstance(value, str):
        whole = NODE_REF.fullmatch(value.strip())
        if whole and int(whole.group(1)) in outputs:
            return outputs[int(whole.group(1))]
        return NODE_REF.sub(lambda m: _short(outputs.get(int(m.group(1)), m.group(0)), _SPLICE_CHARS), value)
    if isinstance(value, dict):
        return {k: resolve_references(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, outputs) for v in value]
    return value


def coerce_arguments(tool: Tool, args: dict[str, Any]) -> dict[str, Any]:
    """Model strings to the parameter's type, and upstream objects to text where a string is expected."""
    props = tool.parameters.get("properties", {})
    out = {}
    for name, value in args.items():
        prop = props.get(name, {})
        if prop.get("type") == "string" and not isinstance(value, str):
            value = value["value"] if isinstance(value, dict) and isinstance(value.get("value"), str) else _short(value, _TEXT_CHARS)
        out[name] = coerce_value(value, prop)
    return out


__all__ = ["coerce_arguments", "is_reference", "resolve_references"]
