"""Tool parameter schemas that cannot make agentkit do I/O or blow up while validating.

Tool documentation comes from files anyone may write (OpenAI JSON, tools.jsonl,
TaskBench), so a schema is untrusted data. jsonschema, left to itself, *fetches* a
``$ref`` to ``http://...`` and reads ``file://...``: a tool description could make
agentkit call any URL (past the http pack's allowlist) or read a local file. Here:

* :func:`schema_problem` refuses, at load time, every ``$ref`` that is not local
  (``#`` or ``#/...`` into the same document), local refs that point to nothing,
  patterns that do not compile, cycles and schemas nested deeper than
  :data:`MAX_SCHEMA_DEPTH`;
* :data:`NO_RETRIEVAL` is the registry every validator gets: the JSON Schema
  metaschemas, and a retrieve function that refuses, so even a schema that slipped
  past the check (mutated after loading) cannot reach the network or the disk.

It imports nothing of agentkit, so every layer may use it (the structured-output
validator of ``models/`` and ``typed_output`` pass :data:`NO_RETRIEVAL` too).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import jsonschema
import referencing
import referencing.exceptions
from jsonschema_specifications import REGISTRY as _SPECIFICATIONS

MAX_SCHEMA_DEPTH = 64
MAX_SCHEMA_NODES = 50_000
_REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
_DATA_KEYS = frozenset({"enum", "const", "default", "examples"})  # values here are data, not schemas
# Keywords the Draft 7 metaschema does not check but the 2020-12 validator follows: a schema with
# any of them is checked against the 2020-12 metaschema (slower, so only then).
NEWER_KEYWORDS = frozenset({
    "$defs", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
    "prefixItems", "dependentSchemas", "dependentRequired", "unevaluatedItems", "unevaluatedProperties",
    "contentSchema", "minContains", "maxContains",
})  # fmt: skip


class RetrievalRefused(Exception):
    """Raised by :data:`NO_RETRIEVAL` for every URI it is asked to fetch."""


def _refuse(uri: str) -> referencing.Resource[Any]:
    raise RetrievalRefused(f"agentkit never retrieves schema references ({uri!r})")


#: The metaschemas of every draft, and nothing that is ever fetched.
NO_RETRIEVAL: referencing.Registry[Any] = _SPECIFICATIONS.combine(referencing.Registry(retrieve=_refuse))  # type: ignore[call-arg]

#: What a validator may raise on a schema it cannot follow (besides ValidationError).
VALIDATION_FAILURES: tuple[type[BaseException], ...] = (
    referencing.exceptions.Unresolvable,
    RetrievalRefused,
    RecursionError,
    re.error,
    ValueError,  # e.g. an int too long to print in a message
    TypeError,
    AttributeError,  # a keyword whose value has the wrong type, in a draft the metaschema check did not cover
    LookupError,
)


def validator_class(schema: dict[str, Any]) -> type[jsonschema.protocols.Validator]:
    """The draft ``schema`` names in ``$schema`` (2020-12 when it names none, or one jsonschema does not know).

    Only the known drafts are looked up: an unknown ``$schema`` URL is never fetched.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "unknown $schema, using the latest draft"
        return jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)


def validator(schema: dict[str, Any], cls: type[jsonschema.protocols.Validator] | None = None) -> jsonschema.protocols.Validator:
    """A validator for ``schema`` that resolves only references inside it."""
    return (cls or validator_class(schema))(schema, registry=NO_RETRIEVAL)


def _walk(schema: Any) -> Iterator[tuple[Any, list[Any], bool]]:
    """Every dict and list in ``schema``: (node, path of nodes from the root down to it, is data).

    Iterative (a 100,000-deep schema must not hit Python's recursion limit) and stops
    with ValueError at a cycle, past :data:`MAX_SCHEMA_DEPTH` or :data:`MAX_SCHEMA_NODES`.
    """
    stack: list[tuple[Any, list[Any], bool]] = [(schema, [], False)]
    count = 0
    while stack:
        node, parents, data = stack.pop()
        count += 1
        if count > MAX_SCHEMA_NODES:
            raise ValueError(f"the schema has more than {MAX_SCHEMA_NODES:,} parts")
        if len(parents) >= MAX_SCHEMA_DEPTH:
            raise ValueError(f"the schema is nested deeper than {MAX_SCHEMA_DEPTH} levels")
        if any(node is p for p in parents):
            raise ValueError("the schema contains itself (a cycle)")
        yield node, parents, data
        path = [*parents, node]
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, dict | list):
                stack.append((value, path, data or (isinstance(node, dict) and key in _DATA_KEYS)))


def _resource_of(node: dict[str, Any], parents: list[Any]) -> Any:
    """The schema a ``#...`` reference in ``node`` is relative to: the nearest one with its own ``$id``."""
    for candidate in reversed([*parents, node]):
        if isinstance(candidate, dict) and isinstance(candidate.get("$id") or candidate.get("id"), str):
            if not str(candidate.get("$id") or candidate.get("id")).startswith("#"):
                return candidate
    return parents[0] if parents else node


_NOWHERE = object()


def _resolve(resource: Any, fragment: str) -> Any:
    """What the JSON pointer ``fragment`` (without '#') names in ``resource``; _NOWHERE if nothing.

    A named anchor ('#name') resolves to None: jsonschema follows it, or the validation fails cleanly.
    """
    if fragment == "":
        return resource
    if not fragment.startswith("/"):
        return None
    node = resource
    for raw in fragment[1:].split("/"):
        part = _unescape(raw)
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _NOWHERE
    return node


def _ref_loop(start: dict[str, Any], root: Any) -> bool:
    """Whether following ``$ref`` alone from ``start`` comes back to a schema already passed (a→b→a):
    validating against it would recurse forever without reading any of the value."""
    seen = [start]
    node: Any = start
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        node = _resolve(root, node["$ref"][1:])
        if any(node is s for s in seen):
            return True
        seen.append(node)
    return False


def _unescape(part: str) -> str:
    return unquote(part).replace("~1", "/").replace("~0", "~")


def _ref_problem(ref: str, node: dict[str, Any], parents: list[Any], key: str = "$ref") -> str | None:
    shown = ref if len(ref) <= 120 else ref[:120] + "..."
    if not ref.startswith("#"):
        return (
            f"reference {shown!r} is not local: only '#/...' references into the same schema"
            " are allowed (agentkit never fetches URLs or reads files for a tool's documentation)"
        )
    if _resolve(_resource_of(node, parents), ref[1:]) is _NOWHERE:
        return f"reference {shown!r} points to nothing in the schema"
    if not parents or _resource_of(node, parents) is parents[0]:  # loops are followed within the root document
        if key == "$ref" and _ref_loop(node, parents[0] if parents else node):
            return f"reference {shown!r} leads back to itself through references alone (an endless loop)"
    return None


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is refused as a tool's parameter schema, or None (see the module docstring)."""
    return scan(schema)[0]


def scan(schema: Any) -> tuple[str | None, bool]:
    """(why ``schema`` is refused or None, whether it uses :data:`NEWER_KEYWORDS`), in one walk."""
    newer = False
    if isinstance(schema, dict) and "$schema" in schema and not isinstance(schema["$schema"], str):
        return "$schema must be a string", newer
    try:
        for node, parents, data in _walk(schema):
            if not isinstance(node, dict):
                continue
            for key in _REF_KEYS:
                if key in node and not data and not isinstance(node[key], str):
                    return f"{key} must be a string, got {type(node[key]).__name__}", newer
                if isinstance(node.get(key), str):
                    problem = _ref_problem(node[key], node, parents, key)
                    if problem:
                        return problem, newer
            if data:
                continue
            newer = newer or not NEWER_KEYWORDS.isdisjoint(node)
            patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
            if isinstance(node.get("patternProperties"), dict):
                patterns += list(node["patternProperties"])
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except (re.error, RecursionError, OverflowError) as exc:
                    return f"pattern {pattern[:80]!r} is not a valid regular expression: {exc}", newer
    except ValueError as exc:
        return str(exc), newer
    return None, newer


__all__ = ["NEWER_KEYWORDS", "scan", "validator_class", "MAX_SCHEMA_DEPTH", "NO_RETRIEVAL", "VALIDATION_FAILURES", "RetrievalRefused", "schema_problem", "validator"]
