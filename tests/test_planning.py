"""Plan conversion and validation: what a model's TaskBench-style JSON turns into, and what is refused."""

from typing import Annotated

import jsonschema
import pytest
from pydantic import Field

from agentkit import ToolRegistry, tool
from agentkit.toolgraph import ToolGraph
from agentkit.planning import plan_schema, to_task_plan, validate_plan


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


# -- arguments: what the repair round is told ------------------------------------------------


@tool
def repeat(text: str, times: Annotated[int, Field(ge=1)]) -> str:
    """Repeat a text.

    Args:
        text: what to repeat
        times: how often
    """
    return text * times


def problems_of(arguments):
    plan, problems = to_task_plan({"task_nodes": [{"task": "repeat", "arguments": arguments}]})
    assert problems == []
    return validate_plan(plan, ToolRegistry([repeat]))


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"text": "a", "times": "2", "colour": "red"}, "node 0 (repeat): unknown argument 'colour' (expected one of ['text', 'times'])"),
        ({"text": "a"}, "node 0 (repeat): missing required argument 'times'"),
        ({"text": "a", "times": "often"}, "node 0 (repeat): argument 'times': 'often' is not of type 'integer'"),
        ({"text": "a", "times": 2.5}, "node 0 (repeat): argument 'times': 2.5 is not of type 'integer'"),
        ({"text": "a", "times": "0"}, "node 0 (repeat): argument 'times': 0 is less than the minimum of 1"),
    ],
    ids=["unknown", "missing", "not-a-number", "not-an-integer", "below-minimum"],
)
def test_argument_problems_are_named(arguments, problem):
    assert problems_of(arguments) == [problem]


def test_arguments_that_fit_or_reference_a_node_are_not_problems():
    assert problems_of({"text": "a", "times": "2"}) == []
    plan, _ = to_task_plan(plan_of({"text": "a"}, {"text": "<node-0>"}))
    assert validate_plan(plan, REGISTRY) == []


async def test_the_repair_round_is_shown_the_argument_problems():
    from agentkit.models import FunctionModel
    from agentkit.planners import get_planner
    from agentkit.testing import plan_model

    # "0" fits the plan schema's integer pattern; only validate_plan checks the tool's minimum
    bad = {"task_steps": ["repeat a"], "task_nodes": [{"task": "repeat", "arguments": {"text": "a", "times": "0"}}], "task_links": []}
    good = {**bad, "task_nodes": [{"task": "repeat", "arguments": {"text": "a", "times": "2"}}]}
    inner, prompts = plan_model(bad, good), []

    def reply(messages, schema):
        prompts.append("\n".join(m.content for m in messages))
        return inner._fn(messages, schema)

    outcome = await get_planner("one-shot").plan("repeat a twice", [repeat], model=FunctionModel(reply), registry=ToolRegistry([repeat]))
    assert outcome.attempts == 2 and outcome.plan.task_nodes[0].arguments == {"text": "a", "times": "2"}
    assert "node 0 (repeat): argument 'times': 0 is less than the minimum of 1" in prompts[-1]


@tool
def repeat(text: str, times: Annotated[int, Field(ge=1)]) -> str:
    """Repeat a text.

    Args:
        text: the text
        times: how often
    """
    return text * times


def nodes_only(*args_per_node):
    return {"task_nodes": [{"task": "repeat", "arguments": a} for a in args_per_node], "task_links": []}


TWO_NODES = plan_schema([repeat], n_nodes=2, with_steps=False)


def test_the_two_node_schema_admits_references_to_earlier_nodes_only():
    jsonschema.validate(nodes_only({"text": "hi", "times": "2"}, {"text": "<node-0> and <node-0>", "times": "<node-0>"}), TWO_NODES)


@pytest.mark.parametrize(
    "args_per_node",
    [
        ({"text": "<node-j>", "times": "1"}, {"text": "x", "times": "1"}),  # the prompt's placeholder
        ({"text": "<node-0>", "times": "1"}, {"text": "x", "times": "1"}),  # a self-reference
        ({"text": "<node-1>", "times": "1"}, {"text": "x", "times": "1"}),  # a later node
        ({"text": "hi", "times": "1"}, {"text": "x", "times": "<node-1>"}),  # a number's self-reference
        ({"text": "hi", "times": "1"}, {"text": "a <b", "times": "1"}),  # any other '<'
    ],
)
def test_the_node_schema_refuses_what_is_not_an_earlier_reference(args_per_node):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(nodes_only(*args_per_node), TWO_NODES)


@tool(input_types=["image"], output_types=["text"])
def caption(image: str) -> str:
    """Describe an image.

    Args:
        image: the image file
    """
    return "a cat"


TYPED = ToolRegistry([upper, caption])


def typed_plan(second_args, links=()):
    return to_task_plan(
        {
            "task_steps": ["a", "b"],
            "task_nodes": [{"task": "upper", "arguments": {"text": "hi"}}, {"task": "caption", "arguments": second_args}],
            "task_links": [{"source": s, "target": t} for s, t in links],
        }
    )[0]


def test_a_reference_between_incompatible_types_is_refused():
    plan = typed_plan({"image": "<node-0>"})
    assert validate_plan(plan, TYPED, ToolGraph(TYPED)) == ["node 1 (caption) takes ['image'] but node 0 (upper) outputs ['text']"]


def test_an_explicit_link_between_incompatible_types_is_refused_once():
    plan = typed_plan({"image": "<node-0>"}, links=[("upper", "caption")])
    assert validate_plan(plan, TYPED, ToolGraph(TYPED)) == ["node 1 (caption) takes ['image'] but node 0 (upper) outputs ['text']"]
    plan = typed_plan({"image": "cat.jpg"}, links=[("upper", "caption")])
    assert len(validate_plan(plan, TYPED, ToolGraph(TYPED))) == 1


def test_a_link_declared_in_the_tool_graph_overrides_the_types():
    plan = typed_plan({"image": "cat.jpg"}, links=[("upper", "caption")])
    assert validate_plan(plan, TYPED, ToolGraph(TYPED, links=[("upper", "caption")])) == []


def test_the_plan_schema_only_links_a_tool_to_one_it_can_feed():
    schema = plan_schema([upper, caption], n_nodes=2, with_steps=False)
    nodes = [{"task": "caption", "arguments": {"image": "cat.jpg"}}, {"task": "upper", "arguments": {"text": "<node-0>"}}]
    jsonschema.validate({"task_nodes": nodes, "task_links": [{"source": "caption", "target": "upper"}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"task_nodes": nodes, "task_links": [{"source": "upper", "target": "caption"}]}, schema)


TEXT_VALUES = ['He said "hi"', "C:\\tmp", "two\nlines", "tab\there", "café ☕", "plain words", "<node-0> twice <node-0>"]


@pytest.mark.parametrize("value", TEXT_VALUES)
def test_free_text_escapes_pass_both_pattern_forms(value):
    # The decoded pattern (validators) and the raw JSON-text pattern (llama.cpp grammars) agree.
    import json
    import re

    from agentkit.models.patterns import RAW_PATTERN

    text = plan_schema([repeat], n_nodes=2, with_steps=False)["properties"]["task_nodes"]["prefixItems"][1]
    prop = text["anyOf"][0]["properties"]["arguments"]["properties"]["text"]
    assert re.fullmatch(prop["pattern"][1:-1], value)
    assert re.fullmatch(prop[RAW_PATTERN][1:-1], json.dumps(value)[1:-1])
    assert re.fullmatch(prop[RAW_PATTERN][1:-1], json.dumps(value, ensure_ascii=False)[1:-1])


def test_raw_pattern_refuses_a_bare_quote_that_would_end_the_string_early():
    import re

    from agentkit.models.patterns import RAW_PATTERN

    prop = plan_schema([repeat], n_nodes=1, with_steps=False)["properties"]["task_nodes"]["prefixItems"][0]
    raw = prop["anyOf"][0]["properties"]["arguments"]["properties"]["text"][RAW_PATTERN]
    assert not re.fullmatch(raw[1:-1], 'a"b') and not re.fullmatch(raw[1:-1], "a<b")
