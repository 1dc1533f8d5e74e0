"""Planning from retrieved demonstrations: adapt the nearest solved requests, do not copy them.

What a 270M base model does with a few solved requests in its prompt is copy them: their
tools, their step count, their values. Three things here make it adapt instead:

* **tools first, from a small set**: the first call only picks the tool sequence, among the
  tools of the demonstrations and the retrieved ones (so a tool the request asks for but no
  demonstration used is still there, and the step count is the model's choice);
* **values from the request**: the second call, with the tools fixed, writes arguments under a
  grammar that admits for a text argument only spans of the request (or its dates in ISO form)
  or a reference, so a demonstration's "Sushi" cannot reach a pizza order;
* **typed references**: node i may reference node j only when j's output can feed that
  parameter, so no plan fails on a ``<node-j>`` type error.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from agentkit.errors import PlanError, StructuredOutputError
from agentkit.examples import Example, ScoredExample, clean
from agentkit.examples.spans import request_spans
from agentkit.models import ChatModel, Message, TokenCallback, Usage, generate_object
from agentkit.plan import TaskNode, TaskPlan, references_in
from agentkit.planning import NO_TOOL, arguments_schema, drop_unsound, to_task_plan, validate_plan
from agentkit.prompting import render
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool
from agentkit.toolgraph import ToolGraph

from .base import PlanResult, Turn

NONE_TOOL = Tool(name=NO_TOOL, description="no listed tool can do this step")


def candidate_tools(demos: Sequence[ScoredExample], tools: Sequence[Tool], registry: ToolRegistry) -> list[Tool]:
    """The demonstrations' tools (in the pool), then the retrieved ones: what the planner may choose from."""
    names = [t for d in demos for t in d.example.tools if t in registry]
    names += [t.name for t in tools]
    return [registry.get(n) for n in dict.fromkeys(names)]


def demo_view(example: Example) -> dict[str, str]:
    """A demonstration as the model is asked to answer: its tools, then its plan (links by tool name)."""
    shown = clean(example)
    plan = shown.plan().to_taskbench()
    nodes = [{"task": n.task, "arguments": n.arguments} for n in shown.task_nodes]
    return {
        "request": shown.request,
        "tools": json.dumps({"tools": [n.task for n in shown.task_nodes]}, ensure_ascii=False),
        "plan": json.dumps({"task_nodes": nodes, "task_links": plan["task_links"]}, ensure_ascii=False),
    }


def step_count(demos: Sequence[ScoredExample], max_nodes: int) -> int:
    """How many steps the plan gets: the fewest nodes any of the demonstrations has. Long neighbours
    are often poor matches, and an extra step costs more than a missing one (measured on the TaskBench
    dev sets, leave-one-out: the shortest of the 3 nearest predicts the gold count as often as the
    nearest alone or a majority vote, and a 12-sample multimedia run went 53.3 -> 57.1 n-F1 with it).
    A base model left to end the list itself keeps adding tools until the bound."""
    return min(min(len(d.example.task_nodes), max_nodes) for d in demos)


def agreed_tools(demos: Sequence[ScoredExample], n_steps: int, registry: ToolRegistry) -> list[str] | None:
    """The tool sequence every demonstration of ``n_steps`` nodes uses, when at least two do and all agree
    (a vote across examples: then the tools are settled and only the values are adapted)."""
    same = [d.example for d in demos if len(d.example.task_nodes) == n_steps]
    sequences = {tuple(n.task for n in e.task_nodes) for e in same}
    if len(same) < 2 or len(sequences) != 1:
        return None
    tools = list(next(iter(sequences)))
    return tools if all(t in registry for t in tools) else None


def tools_schema(names: Sequence[str], n_nodes: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"tools": {"type": "array", "items": {"enum": [*names, NO_TOOL]}, "minItems": n_nodes, "maxItems": n_nodes}},
        "required": ["tools"],
        "additionalProperties": False,
    }


def _without_copied_values(plan: TaskPlan, demos: Sequence[ScoredExample], request: str) -> TaskPlan:
    """Free-text arguments that repeat a demonstration's value the request never says are dropped
    (the caller fills them at run time): a value is adapted to the request, never lent by an example."""
    lent = {v.strip() for d in demos for n in d.example.task_nodes for v in n.arguments.values()
            if isinstance(v, str) and v.strip() and not references_in(v)}  # fmt: skip
    asked = request.casefold()
    nodes = [
        TaskNode(task=n.task, arguments={k: v for k, v in n.arguments.items()
                                         if not (isinstance(v, str) and v.strip() in lent and v.strip().casefold() not in asked)})  # fmt: skip
        for n in plan.task_nodes
    ]
    return plan.model_copy(update={"task_nodes": nodes})


def step_text(node: TaskNode) -> str:
    """A step line for a planned node (the caller and substitute search read it)."""
    values = ", ".join(f"{k}: {v}" for k, v in node.arguments.items() if isinstance(v, str | int | float))
    return f"{node.task} ({values})"[:120] if values else node.task


async def plan_from_demos(
    request: str,
    tools: Sequence[Tool],
    demos: Sequence[ScoredExample],
    *,
    model: ChatModel,
    registry: ToolRegistry,
    graph: ToolGraph | None,
    history: Sequence[Turn] = (),
    on_token: TokenCallback | None = None,
    max_nodes: int = 5,
    max_chars: int = 80,
    max_tokens: int = 400,
    free: Collection[tuple[str, str]] = (),
) -> PlanResult:
    """Pick the tools (one call, as many as the demonstrations vote for), then their arguments and
    links under typed, request-bound grammars (``free``: parameters that take free text)."""
    graph = graph if graph is not None else ToolGraph(registry)
    candidates = candidate_tools(demos, tools, registry)
    # Nearest last: the demonstration closest to the request is the one read just before it.
    prompt = render("plan_examples", tools=candidates, demos=[demo_view(d.example) for d in reversed(demos)],
                    request=request, history=list(history))  # fmt: skip
    messages = [Message(role="user", content=prompt)]
    usage, raw = Usage(), []
    n_steps = step_count(demos, max_nodes)
    agreed = agreed_tools(demos, n_steps, registry)
    if agreed is not None:
        first_text = json.dumps({"tools": agreed})
    else:
        try:
            first = await generate_object(model, messages, tools_schema([t.name for t in candidates], n_steps),
                                          max_tokens=max_tokens, on_token=on_token)  # fmt: skip
        except StructuredOutputError as exc:
            raise PlanError(exc.problems or [str(exc)], partial=PlanResult(plan=TaskPlan(), raw=[exc.raw])) from None
        usage, first_text, agreed = usage + first.usage, first.text, first.parsed["tools"]
    raw = [first_text]
    chosen = [NONE_TOOL if n == NO_TOOL else registry.get(n) for n in agreed]
    schema = arguments_schema(chosen, graph, max_chars=max_chars, literals=request_spans(request, max_chars=max_chars), free=free)
    messages += [Message(role="assistant", content=first_text), Message(role="user", content=render("plan_examples_nodes"))]
    try:
        second = await generate_object(model, messages, schema, max_tokens=max_tokens, on_token=on_token)
    except StructuredOutputError as exc:
        raise PlanError(exc.problems or [str(exc)], partial=PlanResult(plan=TaskPlan(), usage=usage, raw=[*raw, exc.raw])) from None
    usage, raw = usage + second.usage, [*raw, second.text]
    plan, problems = to_task_plan(second.parsed)
    plan = _without_copied_values(plan, demos, request)
    plan.task_steps = [step_text(n) for n in plan.task_nodes]
    problems += validate_plan(plan, registry, graph)
    if problems:
        plan, dropped = drop_unsound(plan, registry, graph)
        remaining = [p for p in validate_plan(plan, registry, graph) if "missing required argument" not in p]
        if remaining:
            raise PlanError(remaining, partial=PlanResult(plan=plan, usage=usage, attempts=1, raw=raw))
        return PlanResult(plan=plan, usage=usage, raw=raw, dropped_links=dropped)
    return PlanResult(plan=plan, usage=usage, raw=raw)


__all__ = ["agreed_tools", "candidate_tools", "demo_view", "plan_from_demos", "step_count", "step_text", "tools_schema"]
