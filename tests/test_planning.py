"""Plan conversion and validation: what a model's TaskBench-style JSON turns into, and what is refused."""

from agentkit import ToolRegistry, tool
from agentkit.planning import to_task_plan, validate_plan


@tool(input_types=["text"], output_types=["text"])
def upper(text: str) -> str:
    """Upper-case a text.

    Args:
        text: the text
    """
    return text.upper()


REGISTRY = ToolRegistry([upper])


def plan_of(*args_per_node, links=()):
    return {
        "task_steps": [f"step {i}" for i in range(len(args_per_node))],
        "task_nodes": [{"task": "upper", "arguments": a} for a in args_per_node],
        "task_links": [{"source": s, "target": t} for s, t in links],
    }


def test_the_prompts_literal_placeholder_becomes_the_previous_step():
    plan, problems = to_task_plan(plan_of({"text": "hi"}, {"text": "<node-j>"}, {"text": "say <node-k>!"}))
    assert problems == []
    assert [n.arguments["text"] for n in plan.task_nodes] == ["hi", "<node-0>", "say <node-1>!"]
    assert validate_plan(plan, REGISTRY) == []


def test_a_placeholder_in_the_first_node_is_refused():
    plan, _ = to_task_plan(plan_of({"text": "<node-j>"}))
    assert validate_plan(plan, REGISTRY) == ["node 0 (upper): argument 'text': '<node-j>' is not a reference; write <node-0> for the output of node 0"]


def test_self_references_missing_nodes_and_cycles_are_all_listed():
    plan, _ = to_task_plan(plan_of({"text": "<node-1>"}, {"text": "<node-0>"}, {"text": "<node-2>"}, {"text": "<node-9>"}))
    problems = "\n".join(validate_plan(plan, REGISTRY))
    assert "node 2 (upper): argument 'text' references the node itself" in problems
    assert "references <node-9>, which does not exist" in problems
    assert "cycle" in problems


def test_links_by_tool_name_become_links_by_position():
    plan, problems = to_task_plan(plan_of({"text": "a"}, {"text": "<node-0>"}, links=[("upper", "upper")]))
    assert problems == [] and [(link.source, link.target) for link in plan.task_links] == [(0, 1)]


def test_unknown_tools_are_named():
    plan, _ = to_task_plan({"task_nodes": [{"task": "teleport", "arguments": {}}]})
    assert validate_plan(plan, REGISTRY) == ["node 0: unknown tool 'teleport'"]
