"""Fuzz the whole run with fake models: whatever the plan, the tool schemas and outputs, run() ends typed.

A run may end in any status, or raise one of agentkit's typed errors (an invalid plan is a
PlanError); no other exception may leave ``run()``, and a returned result is plain data.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import Agent, Tool
from agentkit.errors import AgentkitError
from agentkit.executor import ExecutionPolicy
from agentkit.models.fake import FunctionModel

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
)  # fmt: skip
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
outputs = st.one_of(json_values, st.binary(max_size=20), st.integers(min_value=10**40, max_value=10**60))
TOOL_NAMES = ["alpha", "beta", "gamma"]
references = st.sampled_from(["<node-0>", "<node-1>", "<node-2>", "<node-9>", "<node-x>", "text <node-0> more"])
argument_values = st.one_of(json_values, references)
plan_nodes = st.lists(
    st.fixed_dictionaries({
        "task": st.sampled_from([*TOOL_NAMES, "none", "missing"]),
        "arguments": st.dictionaries(st.sampled_from(["text", "n", "extra"]), argument_values, max_size=3),
    }),
    max_size=4,
)  # fmt: skip
plan_links = st.lists(
    st.fixed_dictionaries({"source": st.sampled_from([*TOOL_NAMES, "missing", 0]), "target": st.sampled_from([*TOOL_NAMES, 5])}),
    max_size=3,
)  # fmt: skip
schemas = st.sampled_from([
    {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}},
    {"type": "object", "properties": {"text": {"type": "string", "maxLength": 3}, "n": {"type": "number"}}, "additionalProperties": False},
    {"type": "object", "properties": {}},
])  # fmt: skip


def make_tool(name: str, schema: dict[str, Any], output: Any, raises: bool) -> Tool:
    def run(**kwargs: Any) -> Any:
        if raises:
            raise RuntimeError(f"{name} broke")
        return output

    return Tool(name=name, description=f"the {name} tool", parameters=schema, func=run)


def model_for(nodes: list[dict[str, Any]], links: list[dict[str, Any]], caller_reply: Any, answer: Any) -> FunctionModel:
    def reply(messages: list[Any], schema: dict[str, Any] | None) -> Any:
        props = (schema or {}).get("properties", {})
        if "answer" in props:
            return answer
        if "task_nodes" in props:
            return {"task_nodes": nodes, "task_links": links}
        if "task_steps" in props:
            return {"task_steps": [f"step {i}" for i in range(len(nodes))]}
        return caller_reply

    return FunctionModel(reply, name="fake:fuzz")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nodes=plan_nodes, links=plan_links, tool_schemas=st.lists(schemas, min_size=3, max_size=3),
    tool_outputs=st.lists(outputs, min_size=3, max_size=3), raising=st.lists(st.booleans(), min_size=3, max_size=3),
    caller_reply=st.one_of(json_values, st.dictionaries(st.sampled_from(["text", "n"]), json_values, max_size=2)),
    answer=st.one_of(st.just({"answer": "done 7"}), json_values),
)  # fmt: skip
def test_no_untyped_exception_leaves_run(nodes, links, tool_schemas, tool_outputs, raising, caller_reply, answer):
    tools = [make_tool(n, s, o, r) for n, s, o, r in zip(TOOL_NAMES, tool_schemas, tool_outputs, raising, strict=True)]
    agent = Agent(tools, model=model_for(nodes, links, caller_reply, answer), retriever=None,
                  policy=ExecutionPolicy(retries=0, node_timeout=5))  # fmt: skip
    try:
        result = asyncio.run(asyncio.wait_for(agent.run("fuzz the run"), 30))
    except AgentkitError:
        return
    result.model_dump_json()


class _GivenPlan:
    """A custom planner that returns whatever it was given: every plan is checked, whoever made it."""

    name = "given"

    def __init__(self, plan: Any):
        self._plan = plan

    async def plan(self, request: str, tools: Any, **kwargs: Any) -> Any:
        from agentkit.planners import PlanResult

        return PlanResult(plan=self._plan)


node_arguments = st.dictionaries(st.sampled_from(["text", "n", "extra"]), st.one_of(st.text(max_size=12), references, json_values), max_size=2)
executable_nodes = st.lists(st.fixed_dictionaries({"task": st.sampled_from(TOOL_NAMES), "arguments": node_arguments}), min_size=1, max_size=5)
index_links = st.lists(st.fixed_dictionaries({"source": st.integers(-1, 5), "target": st.integers(-1, 5)}), max_size=4)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nodes=executable_nodes, links=index_links, tool_schemas=st.lists(schemas, min_size=3, max_size=3),
    tool_outputs=st.lists(outputs, min_size=3, max_size=3), raising=st.lists(st.booleans(), min_size=3, max_size=3),
    caller_reply=st.one_of(json_values, st.dictionaries(st.sampled_from(["text", "n"]), json_values, max_size=2)),
    answer=st.one_of(st.just({"answer": "done 7"}), json_values),
)  # fmt: skip
def test_plans_from_a_custom_planner_run_or_fail_typed(nodes, links, tool_schemas, tool_outputs, raising, caller_reply, answer):
    from agentkit.plan import TaskPlan

    plan = TaskPlan.model_validate({"task_steps": [f"step {i}" for i in range(len(nodes))], "task_nodes": nodes, "task_links": links})
    tools = [make_tool(n, s, o, r) for n, s, o, r in zip(TOOL_NAMES, tool_schemas, tool_outputs, raising, strict=True)]
    agent = Agent(tools, model=model_for([], [], caller_reply, answer), strategy=_GivenPlan(plan), retriever=None,
                  policy=ExecutionPolicy(retries=0, node_timeout=5))  # fmt: skip
    try:
        result = asyncio.run(asyncio.wait_for(agent.run("fuzz the run"), 30))
    except AgentkitError:
        return
    assert len(result.nodes) == len(nodes) or result.status.value == "unsolvable"
    result.model_dump_json()
