"""Tools: schemas from type hints, docstrings, validation before the call."""

import pytest

from agentkit import Tool, ToolArgumentError, ToolDefinitionError, tool


@tool
def scale(value: float, factor: int = 2) -> float:
    """Multiply a value.

    Args:
        value: the number to scale
        factor: how many times
    """
    return value * factor


def test_schema_comes_from_type_hints():
    assert scale.parameters["properties"]["value"]["type"] == "number"
    assert scale.parameters["properties"]["factor"]["type"] == "integer"
    assert scale.parameters["required"] == ["value"]


def test_descriptions_come_from_the_docstring():
    assert scale.description == "Multiply a value."
    assert scale.parameters["properties"]["value"]["description"] == "the number to scale"


async def test_acall_validates_then_runs():
    assert await scale.acall({"value": 1.5, "factor": 3}) == 4.5


async def test_bad_argument_names_tool_parameter_and_problem():
    with pytest.raises(ToolArgumentError) as info:
        await scale.acall({"value": "lots"})
    assert info.value.tool == "scale"
    assert info.value.problems[0][0] == "value"
    assert "scale" in str(info.value) and "value" in str(info.value)


async def test_missing_required_argument_is_named():
    with pytest.raises(ToolArgumentError) as info:
        await scale.acall({})
    assert info.value.problems[0][0] == "value"


def test_schema_only_tool_validates_with_json_schema():
    t = Tool(name="t", parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    with pytest.raises(ToolArgumentError) as info:
        t.validate_arguments({"n": "x"})
    assert info.value.problems == [("n", "'x' is not of type 'integer'")]
    with pytest.raises(ToolArgumentError) as info:
        t.validate_arguments({})
    assert info.value.problems[0][0] == "n"


def test_invalid_schema_is_a_definition_error():
    with pytest.raises(ToolDefinitionError):
        Tool(name="t", parameters={"type": "object", "properties": {"n": {"type": "no-such-type"}}})


async def test_documentation_only_tool_cannot_run():
    with pytest.raises(ToolDefinitionError):
        await Tool(name="doc").acall({})


def test_priors_are_overridable_per_subtask():
    from agentkit import ToolPrior

    t = Tool(name="t", prior=ToolPrior(cost=1, quality=0.5), subtask_priors={"ocr": ToolPrior(cost=3, quality=0.9)})
    assert t.prior_for("ocr").quality == 0.9
    assert t.prior_for("other").quality == 0.5


def test_decorated_tool_still_calls_like_the_function():
    assert scale(2.0) == 4.0


def test_tool_serialises_without_its_function():
    data = scale.model_dump()
    assert "func" not in data and data["name"] == "scale"
