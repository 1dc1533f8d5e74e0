"""From model JSON to a validated TaskPlan: the bounded plan schema, conversion, validation.

The schema is what makes a small model usable: tool names are an enum of the
retrieved tools (plus ``"none"`` for a step no tool can do), each tool's arguments are
its own parameter names, and every array and string is bounded so decoding always ends.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import networkx as nx

from .models.patterns import RAW_PATTERN
from .plan import NODE_REF, TaskLink, TaskNode, TaskPlan, references_in
from .registry import ToolRegistry
from .tool import Tool
from .toolgraph import ToolGraph

NO_TOOL = "none"
LINK_NOT_A_NODE = "names a tool that is not a node of the plan"


REFERENCE = "<node-[0-9]{1,2}>"
_NUMBER = {"integer": "-?[0-9]{1,12}", "number": "-?[0-9]{1,12}([.][0-9]{1,6})?"}
# One character of text other than '<' (so only real references can start with it): decoded,
# for validators, and as raw JSON text (escapes included), for llama.cpp's grammar converter.
_TEXT_CHAR = "[^<]"
_RAW_TEXT_CHAR = r'[^<"\\\x7F\x00-\x1F]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}'


def _reference_pattern(refs: Sequence[int] | None) -> str | None:
    """A regex for the ``<node-j>`` references allowed here: any (``None``), these nodes, or none (``[]``)."""
    if refs is None:
        return REFERENCE
    return f"<node-({'|'.join(str(j) for j in refs)})>" if refs else None


def _value_schema(
    prop: dict[str, Any], max_chars: int, refs: Sequence[int] | None = None, literals: Sequence[str] | None = None
) -> dict[str, Any]:
    """A bounded string schema for one argument: a literal of the parameter's type or a ``<node-j>`` reference.

    With ``refs`` (the earlier nodes of a node at a known position) the grammar admits
    references to exactly those nodes, and free text may hold no other ``<``: a small
    model cannot copy the prompt's ``<node-j>`` placeholder or reference a later node.
    With ``literals`` a text argument is one of them (spans of the request) or a reference:
    a small model cannot copy a demonstration's value that the request never says.
    """
    ref = _reference_pattern(refs)
    if "enum" in prop:
        return {"enum": [str(v) for v in prop["enum"]]}
    kind = prop.get("type")
    if not isinstance(kind, str):  # a list of types, or none: free text
        kind = "string"
    if literals and kind == "string" and refs is not None:
        return {"enum": list(dict.fromkeys([*literals, *(f"<node-{j}>" for j in refs)]))}
    if kind in _NUMBER:
        return {"type": "string", "pattern": f"^({_NUMBER[kind]}|{ref})$" if ref else f"^{_NUMBER[kind]}$"}
    if kind == "boolean":
        return {"enum": ["true", "false"]}
    if refs is None:  # position unknown: free text, checked by validate_plan afterwards
        return {"type": "string", "maxLength": max_chars}
    unit, raw = (f"({_TEXT_CHAR}|{ref})", f"({_RAW_TEXT_CHAR}|{ref})") if ref else (_TEXT_CHAR, f"({_RAW_TEXT_CHAR})")
    return {"type": "string", "pattern": f"^{unit}{{0,{max_chars}}}$", RAW_PATTERN: f"^{raw}{{0,{max_chars}}}$"}


def _argument_schema(
    t: Tool, max_chars: int, refs: Sequence[int] | None | Mapping[str, Sequence[int]] = None,
    literals: Sequence[str] | None | dict[str, Sequence[str] | None] = None,
) -> dict[str, Any]:
    """``refs`` and ``literals`` are one list for every parameter, or per parameter."""
    props = {
        name: _value_schema(prop, max_chars, refs.get(name, ()) if isinstance(refs, Mapping) else refs,
                            literals.get(name) if isinstance(literals, dict) else literals)
        for name, prop in t.parameters.get("properties", {}).items()
    }  # fmt: skip
    return {
        "type": "object",
        "properties": props,
        "required": [r for r in t.required if r in props],
        "additionalProperties": False,
    }


def steps_schema(*, max_nodes: int = 5, max_chars: int = 80) -> dict[str, Any]:
    """Phase one of planning: just the step list."""
    return {
        "type": "object",
        "properties": {
            "task_steps": {
                "type": "array",
                "items": {"type": "string", "maxLength": max_chars},
                "minItems": 1,
                "maxItems": max_nodes,
            }
        },
        "required": ["task_steps"],
        "additionalProperties": False,
    }


def _link_schema(tools: Sequence[Tool], graph: ToolGraph) -> dict[str, Any]:
    """One link: a source tool and a target it can feed (so a link can never break the resource types)."""
    variants = []
    for source in tools:
        targets = [t.name for t in tools if graph.compatible(source.name, t.name)]  # itself too: a tool may be used twice
        if targets:
            variants.append(
                {
                    "type": "object",
                    "properties": {"source": {"const": source.name}, "target": {"enum": targets}},
                    "required": ["source", "target"],
                    "additionalProperties": False,
                }
            )
    return {"anyOf": variants} if variants else {}


def feeds(source: Tool, target: Tool, parameter: str, graph: ToolGraph) -> bool:
    """Whether ``source``'s output may fill ``target``'s ``parameter``: a parameter named after an
    input type (TaskBench's resource tools) takes only that type; any other, what the graph allows."""
    if parameter in target.input_types and source.output_types:
        return parameter in source.output_types or (graph.graph.has_edge(source.name, target.name) and len(set(target.input_types)) == 1)
    return graph.compatible(source.name, target.name)


def typed_references(tasks: Sequence[Tool], graph: ToolGraph) -> list[dict[str, list[int]]]:
    """For each node, per parameter, the earlier nodes whose output can feed it."""
    known = [t.name in graph.registry for t in tasks]  # "none" steps feed nothing and take nothing
    return [
        {p: [j for j in range(i) if known[i] and known[j] and feeds(tasks[j], t, p, graph)] for p in t.parameter_names}
        for i, t in enumerate(tasks)
    ]


def arguments_schema(
    tasks: Sequence[Tool], graph: ToolGraph, *, max_chars: int = 80, literals: Sequence[str] | None = None,
    free: Collection[tuple[str, str]] = (), links: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """The plan with its tools fixed, one per position: only arguments (and links) are left to decode.

    References are typed: node i may reference node j only when j's output can feed that
    parameter, so a plan can no longer fail on ``<node-j>`` type errors. With ``literals`` a
    text argument is one of them (or a reference), except the ``(tool, parameter)`` pairs in
    ``free``, which take free text (an expression, a query: values a request does not spell out).
    """
    refs = typed_references(tasks, graph)

    def allowed(t: Tool) -> dict[str, Sequence[str] | None]:
        return {p: None if (t.name, p) in free else literals for p in t.parameter_names}

    items = [
        {
            "type": "object",
            "properties": {"task": {"const": t.name}, "arguments": _argument_schema(t, max_chars, refs[i], allowed(t))},
            "required": ["task", "arguments"],
            "additionalProperties": False,
        }
        for i, t in enumerate(tasks)
    ]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"task_nodes": {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}},
        "required": ["task_nodes"],
        "additionalProperties": False,
    }
    if links:
        unique = list({t.name: t for t in tasks if t.name in graph.registry}.values())
        link_items = _link_schema(unique, graph) if len(tasks) > 1 else {}
        schema["properties"]["task_links"] = {"type": "array", "items": link_items, "maxItems": len(tasks)} if link_items else {"const": []}
        schema["required"].append("task_links")
    return schema


def type_errors(problems: Sequence[str]) -> list[str]:
    return [p for p in problems if _TYPE_ERROR.match(p)]


_TYPE_ERROR = re.compile(r"node (\d+) \(.*\) takes .* but node (\d+) \(.*\) outputs ")


def drop_unsound(plan: TaskPlan, registry: ToolRegistry, graph: ToolGraph) -> tuple[TaskPlan, list[str]]:
    """The plan without its type-unsound dependencies: a reference whose source cannot feed the
    parameter becomes no argument (the caller fills it at run time), an unsound link goes. Returns
    the plan and a line per dropped piece."""
    dropped: list[str] = []
    nodes = []
    for i, node in enumerate(plan.task_nodes):
        if node.task not in registry:
            nodes.append(node)
            continue
        target, args = registry.get(node.task), {}
        for name, value in node.arguments.items():
            bad = [j for j in references_in(value) if 0 <= j < len(plan.task_nodes) and j != i
                   and plan.task_nodes[j].task in registry and not feeds(registry.get(plan.task_nodes[j].task), target, name, graph)]  # fmt: skip
            if bad:
                dropped.append(f"node {i} ({node.task}): argument {name!r} referenced node {bad[0]} "
                               f"({plan.task_nodes[bad[0]].task}), whose output cannot feed it")  # fmt: skip
                continue
            args[name] = value
        nodes.append(TaskNode(task=node.task, arguments=args))
    links = []
    for link in plan.task_links:
        a, b = plan.task_nodes[link.source].task, plan.task_nodes[link.target].task
        if a in registry and b in registry and not graph.compatible(a, b):
            dropped.append(f"link node {link.source} ({a}) -> node {link.target} ({b}): {a} cannot feed {b}")
            continue
        links.append(link)
    return TaskPlan(task_steps=plan.task_steps, task_nodes=nodes, task_links=links), dropped


def plan_schema(
    tools: Sequence[Tool],
    *,
    max_nodes: int = 5,
    max_chars: int = 80,
    n_nodes: int | None = None,
    with_steps: bool = True,
    graph: ToolGraph | None = None,
) -> dict[str, Any]:
    """A bounded JSON Schema for a plan over ``tools`` (TaskBench's keys and order).

    ``n_nodes`` fixes the node count (one node per planned step); ``with_steps=False``
    leaves the steps out, for the second phase of two-phase planning. Links pair a
    source with a target it can feed (per ``graph`` when given, else shared types).
    References here are positional only (the tools are not chosen yet); once they are,
    :func:`arguments_schema` types them.
    """
    def node_schema(refs: Sequence[int] | None) -> dict[str, Any]:
        variants = [
            {
                "type": "object",
                "properties": {"task": {"const": t.name}, "arguments": _argument_schema(t, max_chars, refs)},
                "required": ["task", "arguments"],
                "additionalProperties": False,
            }
            for t in tools
        ]
        variants.append(
            {
                "type": "object",
                "properties": {
                    "task": {"const": NO_TOOL},
                    "arguments": {"type": "object", "properties": {}, "additionalProperties": False},
                },
                "required": ["task", "arguments"],
                "additionalProperties": False,
            }
        )
        return {"anyOf": variants}

    # With the node count known, node i may reference exactly nodes 0..i-1.
    nodes: dict[str, Any] = (
        {"type": "array", "prefixItems": [node_schema(range(i)) for i in range(n_nodes)]}
        if n_nodes
        else {"type": "array", "items": node_schema(None)}
    )
    nodes.update(minItems=n_nodes or 1, maxItems=n_nodes or max_nodes)
    link_items = _link_schema(tools, graph if graph is not None else ToolGraph(ToolRegistry(tools)))
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "task_steps": steps_schema(max_nodes=max_nodes, max_chars=max_chars)["properties"]["task_steps"],
            "task_nodes": nodes,
            "task_links": {"type": "array", "items": link_items, "maxItems": n_nodes or max_nodes} if link_items else {"const": []},
        },
        "required": ["task_steps", "task_nodes", "task_links"],
        "additionalProperties": False,
    }
    if not with_steps:
        del schema["properties"]["task_steps"]
        schema["required"].remove("task_steps")
    return schema


def to_task_plan(raw: dict[str, Any]) -> tuple[TaskPlan, list[str]]:
    """Convert TaskBench-style JSON (links by tool name) into a TaskPlan (links by position)."""
    problems: list[str] = []
    nodes: list[TaskNode] = []
    for i, node in enumerate(raw.get("task_nodes") or []):
        if not isinstance(node, dict) or not isinstance(node.get("task"), str):
            problems.append(f"node {i}: expected an object with a string 'task'")
            continue
        args = node.get("arguments") or {}
        if isinstance(args, list):  # TaskBench lists: [{"name", "value"}] or bare values
            if all(isinstance(a, dict) and "name" in a for a in args):
                args = {a["name"]: a.get("value") for a in args}
            else:
                args = {f"arg{j}": v for j, v in enumerate(args)}
        if not isinstance(args, dict):
            problems.append(f"node {i} ({node['task']}): arguments must be an object")
            args = {}
        if i > 0:
            args = {k: _placeholder_to_previous(v, i) for k, v in args.items()}
        nodes.append(TaskNode(task=node["task"], arguments=args))
    links: list[TaskLink] = []
    for link in raw.get("task_links") or []:
        source, target = link.get("source"), link.get("target")
        src = next((i for i, n in enumerate(nodes) if n.task == source), None)
        tgt = next((i for i, n in enumerate(nodes) if n.task == target and (src is None or i > src)), None)
        if src is not None and tgt is None and source == target:
            continue  # a tool linked to itself with one node: a no-op, as in TaskBench's own gold data
        if src is None or tgt is None:
            problems.append(f"link {source!r} -> {target!r} {LINK_NOT_A_NODE}")
            continue
        links.append(TaskLink(source=src, target=tgt))
    steps = [str(s) for s in raw.get("task_steps") or []]
    return TaskPlan(task_steps=steps, task_nodes=nodes, task_links=links), problems


def coerce_value(value: Any, schema: dict[str, Any]) -> Any:
    """Turn a model's string into the parameter's JSON type where that is unambiguous."""
    if not isinstance(value, str):
        return value
    kind = schema.get("type")
    text = value.strip()
    try:
        if kind == "integer":
            return int(text.replace(",", ""))
        if kind == "number":
            return float(text.replace(",", ""))
    except ValueError:
        return value
    if kind == "boolean" and text.lower() in ("true", "false", "yes", "no"):
        return text.lower() in ("true", "yes")
    return value


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(NODE_REF.fullmatch(value.strip()))


_REFERENCE_LIKE = re.compile(r"<node-[^>]*>")


def _malformed_references(value: Any) -> list[str]:
    """``<node-j>``-like text that is not ``<node-DIGITS>`` (small models copy the prompt's placeholder)."""
    if isinstance(value, str):
        return [m for m in _REFERENCE_LIKE.findall(value) if not NODE_REF.fullmatch(m)]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [bad for item in value for bad in _malformed_references(item)]
    return []


def _placeholder_to_previous(value: Any, i: int) -> Any:
    """Repair the prompt's literal ``<node-j>`` (copied by small models) in node ``i`` to the step before it."""
    if isinstance(value, str):
        return _REFERENCE_LIKE.sub(lambda m: m.group(0) if NODE_REF.fullmatch(m.group(0)) else f"<node-{i - 1}>", value)
    if isinstance(value, list):
        return [_placeholder_to_previous(v, i) for v in value]
    if isinstance(value, dict):
        return {k: _placeholder_to_previous(v, i) for k, v in value.items()}
    return value


def _type_problems(plan: TaskPlan, registry: ToolRegistry, graph: ToolGraph, source: int, target: int) -> list[str]:
    """A resource-type mismatch along one dependency (only between tools that declare their types)."""
    a, b = plan.task_nodes[source].task, plan.task_nodes[target].task
    if a not in registry or b not in registry or graph.compatible(a, b):
        return []
    return [f"node {target} ({b}) takes {registry.get(b).input_types} but node {source} ({a}) outputs {registry.get(a).output_types}"]


def validate_plan(plan: TaskPlan, registry: ToolRegistry, graph: ToolGraph | None = None) -> list[str]:
    """Every problem with ``plan``: unknown tools, bad references, cycles, arguments, resource types."""
    problems: list[str] = []
    type_checked: set[tuple[int, int]] = set()
    n = len(plan.task_nodes)
    if n == 0:
        return ["the plan has no task nodes"]
    for i, node in enumerate(plan.task_nodes):
        if node.task == NO_TOOL:
            continue
        if node.task not in registry:
            problems.append(f"node {i}: unknown tool {node.task!r}")
            continue
        tool = registry.get(node.task)
        props = tool.parameters.get("properties", {})
        for name in node.arguments:
            if props and name not in props:
                problems.append(f"node {i} ({tool.name}): unknown argument {name!r} (expected one of {sorted(props)})")
        for name in tool.required:
            if name not in node.arguments:
                problems.append(f"node {i} ({tool.name}): missing required argument {name!r}")
        for name, value in node.arguments.items():
            for bad in _malformed_references(value):
                problems.append(f"node {i} ({tool.name}): argument {name!r}: {bad!r} is not a reference; write <node-0> for the output of node 0")
            refs = references_in(value)
            for ref in refs:
                if ref == i:
                    problems.append(f"node {i} ({tool.name}): argument {name!r} references the node itself")
                elif not 0 <= ref < n:
                    problems.append(f"node {i} ({tool.name}): argument {name!r} references <node-{ref}>, which does not exist")
                elif graph is not None and (ref, i) not in type_checked:
                    type_checked.add((ref, i))
                    problems += _type_problems(plan, registry, graph, ref, i)
            if name in props and not is_reference(value) and not refs:
                # Against the whole schema (its $defs), with the tool's validator that never fetches a $ref.
                for problem in tool.argument_problems(name, coerce_value(value, props[name])):
                    problems.append(f"node {i} ({tool.name}): argument {name!r}: {problem}")
    for link in plan.task_links:
        if not (0 <= link.source < n and 0 <= link.target < n):
            problems.append(f"link {link.source} -> {link.target} points outside the plan")
        elif graph is not None and link.source != link.target and (link.source, link.target) not in type_checked:
            type_checked.add((link.source, link.target))
            problems += _type_problems(plan, registry, graph, link.source, link.target)
    graph_ = plan.to_networkx()
    if not nx.is_directed_acyclic_graph(graph_):
        cycle = nx.find_cycle(graph_)
        path = " -> ".join(f"node {a} ({plan.task_nodes[a].task})" for a, _ in cycle)
        problems.append(f"the plan has a cycle: {path} -> node {cycle[0][0]}")
    return problems


__all__ = [
    "LINK_NOT_A_NODE",
    "NO_TOOL",
    "arguments_schema",
    "coerce_value",
    "drop_unsound",
    "feeds",
    "is_reference",
    "plan_schema",
    "steps_schema",
    "to_task_plan",
    "type_errors",
    "typed_references",
    "validate_plan",
]
