"""BFCL function docs as agentkit tools, the caller's bounded answer schema, and answers in BFCL's format.

BFCL writes parameter types the Python way ("dict", "float", "tuple", "any", Java's "HashMap"...);
:func:`to_json_schema` maps them to JSON Schema as BFCL itself does for OpenAI-style models
(``GORILLA_TO_OPENAPI``), drops keywords that are not valid JSON Schema there (``"required": true``
on a property, ``"optional"``), and keeps descriptions, enums and defaults for the prompt.

Java and JavaScript categories are scored on source-code literals (``"new HashMap<>()"``,
``"true"``), so there every argument is a string written in that language.
"""

from __future__ import annotations

from typing import Any

from agentkit.bench.bfcl_data import Language
from agentkit.tool import Tool

NONE = "none"  # the caller's refusal: {"function": "none"}

# BFCL type name -> JSON Schema type (BFCL's GORILLA_TO_OPENAPI, plus "" -> string).
TYPES: dict[str, str] = {
    "string": "string", "String": "string", "str": "string", "char": "string", "any": "string", "Any": "string", "": "string",
    "integer": "integer", "int": "integer", "byte": "integer", "short": "integer", "long": "integer", "Bigint": "integer",
    "number": "number", "float": "number", "double": "number",
    "boolean": "boolean", "bool": "boolean", "Boolean": "boolean",
    "array": "array", "list": "array", "tuple": "array", "Array": "array", "ArrayList": "array", "Queue": "array", "Stack": "array",
    "dict": "object", "object": "object", "HashMap": "object", "Hashtable": "object",
}  # fmt: skip
_PY_TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
_SCALAR: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}


def _fits(value: Any, json_type: str) -> bool:
    if isinstance(value, bool) and json_type in ("integer", "number"):
        return False
    return isinstance(value, _PY_TYPES[json_type])


def to_json_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """One BFCL parameter (recursively) as JSON Schema."""
    json_type = TYPES.get(str(prop.get("type", "")), "string")
    out: dict[str, Any] = {}
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        out["enum"] = enum
        if all(_fits(v, json_type) for v in enum):  # a mismatched enum would make the schema unsatisfiable
            out["type"] = json_type
    else:
        out["type"] = json_type
    if isinstance(prop.get("description"), str):
        out["description"] = prop["description"]
    if "default" in prop:
        out["default"] = prop["default"]
    if json_type == "array" and "enum" not in out:
        items = prop.get("items")
        out["items"] = to_json_schema(items) if isinstance(items, dict) else dict(_SCALAR)
    if json_type == "object" and "enum" not in out:
        properties = prop.get("properties")
        if isinstance(properties, dict) and properties:
            out["properties"] = {k: to_json_schema(v) for k, v in properties.items() if isinstance(v, dict)}
            required = prop.get("required")
            out["required"] = [r for r in required if r in out["properties"]] if isinstance(required, list) else []
    return out


def function_tool(function: dict[str, Any], language: Language = "python") -> Tool:
    """A BFCL function doc as a documentation-only :class:`Tool`."""
    params = function.get("parameters") or {}
    props = params.get("properties") or {}
    if language == "python":
        schema = to_json_schema({**params, "type": "dict", "properties": props})
    else:
        literal = {"java": "Java", "javascript": "JavaScript"}[language]
        schema = {
            "type": "object",
            "properties": {
                name: {
                    "type": "string",
                    "description": f"{p.get('description', '')} ({literal} {p.get('type', 'any')}, written as {literal} source code)".strip(),
                }
                for name, p in props.items()
            },
            "required": [r for r in params.get("required") or [] if r in props],
        }
    schema.setdefault("properties", {})
    schema.setdefault("required", [])
    return Tool(name=function["name"], description=str(function.get("description", "")), parameters=schema)


def bound(schema: dict[str, Any], *, max_chars: int = 200, max_items: int = 32) -> dict[str, Any]:
    """A decoding copy of ``schema``: strings, arrays and objects bounded, no annotations.

    Small models run away in open-ended strings and lists; the grammar (or the validator,
    for servers without constrained decoding) stops them.
    """
    if "anyOf" in schema:
        return {"anyOf": [bound(s, max_chars=max_chars, max_items=max_items) for s in schema["anyOf"]]}
    out = {k: v for k, v in schema.items() if k in ("type", "enum")}
    kind = schema.get("type")
    if "enum" in schema:
        return out
    if kind == "string":
        out["maxLength"] = max_chars
    elif kind == "array":
        out["maxItems"] = max_items
        out["items"] = bound(schema.get("items", _SCALAR), max_chars=max_chars, max_items=max_items)
    elif kind == "object":
        if "properties" in schema:
            out["properties"] = {k: bound(v, max_chars=max_chars, max_items=max_items) for k, v in schema["properties"].items()}
            out["required"] = list(schema.get("required", []))
            out["additionalProperties"] = False
        else:  # a free-form dict: scalar values only
            out["additionalProperties"] = bound(_SCALAR, max_chars=max_chars, max_items=max_items)
    return out


def call_schema(tools: list[Tool], *, parallel: bool, max_chars: int = 200, max_calls: int = 8) -> dict[str, Any]:
    """The caller's answer: one call of a given function or a refusal; for parallel categories
    a bounded list of calls (``{"calls": [...]}``) or the refusal."""
    calls = [
        {
            "type": "object",
            "properties": {"function": {"const": t.name}, "arguments": bound(t.parameters, max_chars=max_chars)},
            "required": ["function", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    refusal = {"type": "object", "properties": {"function": {"const": NONE}}, "required": ["function"], "additionalProperties": False}
    if not parallel:
        return {"anyOf": [*calls, refusal]}
    many = {
        "type": "object",
        "properties": {"calls": {"type": "array", "items": {"anyOf": calls}, "minItems": 1, "maxItems": max_calls}},
        "required": ["calls"],
        "additionalProperties": False,
    }
    return {"anyOf": [many, refusal]}


def _cast(value: Any, prop: dict[str, Any] | None) -> Any:
    """JSON has one number type: ints become floats where BFCL declares ``float``, as a Python call would."""
    if not isinstance(prop, dict):
        return value
    kind = prop.get("type")
    if kind in ("float", "double") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in ("array", "tuple") and isinstance(value, list):
        return [_cast(v, prop.get("items")) for v in value]
    if kind == "dict" and isinstance(value, dict) and isinstance(prop.get("properties"), dict):
        return {k: _cast(v, prop["properties"].get(k)) for k, v in value.items()}
    return value


def to_bfcl(answer: dict[str, Any], functions: list[dict[str, Any]], language: Language = "python") -> list[dict[str, Any]]:
    """The caller's validated answer as BFCL's decoded model output: ``[{name: {arg: value}}, ...]``
    (``[]`` for a refusal)."""
    docs = {f["name"]: f for f in functions}
    calls = answer.get("calls", [answer])
    result = []
    for call in calls:
        if "arguments" not in call:  # the refusal
            continue
        name, args = call["function"], call["arguments"]
        props = ((docs.get(name) or {}).get("parameters") or {}).get("properties") or {}
        if language == "python":
            args = {k: _cast(v, props.get(k)) for k, v in args.items()}
        result.append({name: args})
    return result


__all__ = ["NONE", "TYPES", "bound", "call_schema", "function_tool", "to_bfcl", "to_json_schema"]
