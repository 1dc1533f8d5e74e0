"""Typed final output: decoded under the user's schema (bounded locally), validated, grounded in tool results, repaired once."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field, field_validator

from agentkit import Agent, tool
from agentkit.errors import ConfigError
from agentkit.models import FunctionModel, ScriptedModel
from agentkit.result import NodeResult, NodeStatus
from agentkit.testing import plan_model
from agentkit.typed_output import OutputSpec, bounded


class Weather(BaseModel):
    city: str
    temperature_c: float
    conditions: list[str] = Field(default_factory=list)
    unit: str = Field(default="celsius", json_schema_extra={"enum": ["celsius", "fahrenheit"]})


RESULTS = [
    NodeResult(index=0, tool="get_weather", status=NodeStatus.OK, output={"city": "Oslo", "temp": 4.5, "sky": "light rain"}),
    NodeResult(index=1, tool="get_forecast", status=NodeStatus.FAILED, error="service down"),
]
REQUEST = "What is the weather in Oslo?"


def test_local_decoding_bounds_every_free_string_and_array():
    schema = bounded(Weather.model_json_schema())
    props = schema["properties"]
    assert props["city"]["maxLength"] == 200 and props["conditions"]["maxItems"] == 8
    assert props["conditions"]["items"]["maxLength"] == 200 and "maxLength" not in props["unit"]
    assert "maxLength" not in Weather.model_json_schema()["properties"]["city"]  # the user's schema is left alone


async def test_the_output_is_the_users_model_filled_from_the_results():
    model = ScriptedModel([{"city": "Oslo", "temperature_c": 4.5, "conditions": ["light rain"], "unit": "celsius"}])
    spec = OutputSpec(Weather)
    outcome = await spec.produce(model, REQUEST, RESULTS)
    assert outcome.problems == [] and outcome.usage.calls == 1
    weather = spec.parse(outcome.output)
    assert isinstance(weather, Weather) and weather.temperature_c == 4.5 and weather.conditions == ["light rain"]
    assert json.loads(outcome.answer) == outcome.output
    sent = model.calls[0]["json_schema"]
    assert sent["properties"]["city"]["maxLength"] == 200  # a fake (like llama.cpp) gets the bounded schema


async def test_a_value_no_tool_returned_is_repaired_once():
    model = ScriptedModel([
        {"city": "Oslo", "temperature_c": 21.0},  # invented
        {"city": "Oslo", "temperature_c": 4.5},
    ])  # fmt: skip
    outcome = await OutputSpec(Weather).produce(model, REQUEST, RESULTS)
    assert outcome.output == {"city": "Oslo", "temperature_c": 4.5} and outcome.usage.calls == 2
    repair = model.calls[1]["messages"][-1].content
    assert "temperature_c: 21.0 appears in no tool result" in repair


async def test_still_ungrounded_after_the_repair_means_no_output_and_says_why():
    model = ScriptedModel([{"city": "Bergen", "temperature_c": 4.5}, {"city": "Bergen", "temperature_c": 4.5}])
    outcome = await OutputSpec(Weather).produce(model, REQUEST, RESULTS)
    assert outcome.output is None and outcome.usage.calls == 2
    assert outcome.problems == ["/city: 'Bergen' appears in no tool result and not in the request: use only values the results show"]


async def test_schema_and_validator_problems_are_repaired_too():
    class Reading(BaseModel):
        temperature_c: float

        @field_validator("temperature_c")
        @classmethod
        def _plausible(cls, value: float) -> float:
            if value > 60:
                raise ValueError("implausible temperature")
            return value

    replies = iter(['{"temperature_c": "warm"}', '{"temperature_c": 4.5}'])
    seen = []

    def reply(messages, schema):
        seen.append(messages[-1].content)
        return next(replies)

    outcome = await OutputSpec(Reading).produce(FunctionModel(reply), REQUEST, RESULTS)
    assert outcome.output == {"temperature_c": 4.5}
    assert "'warm' is not of type 'number'" in seen[1]


async def test_strings_keep_to_the_answer_rule_and_enum_values_state_nothing():
    class Summary(BaseModel):
        text: str
        unit: str = Field(json_schema_extra={"enum": ["celsius", "fahrenheit"]})

    spec = OutputSpec(Summary)
    good = await spec.produce(ScriptedModel([{"text": "Light rain, 4.5 degrees in Oslo", "unit": "fahrenheit"}]), REQUEST, RESULTS)
    assert good.problems == []
    bad = await spec.produce(ScriptedModel([{"text": "It is 12 degrees", "unit": "celsius"}] * 2), REQUEST, RESULTS)
    assert bad.output is None and bad.problems[0].startswith("/text: 12 appears in no tool result")


async def test_a_json_schema_dict_works_like_a_model():
    schema = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"], "additionalProperties": False}
    spec = OutputSpec(schema)
    result = [NodeResult(index=0, tool="add", status=NodeStatus.OK, output=42)]
    outcome = await spec.produce(ScriptedModel([{"total": 42}]), "What is 12 plus 30?", result)
    assert spec.parse(outcome.output) == {"total": 42}


def test_a_schema_that_is_not_json_schema_is_a_config_error():
    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        OutputSpec({"type": "objekt"})


def test_a_schema_llamacpp_cannot_turn_into_a_grammar_is_a_config_error_when_built():
    with pytest.raises(ConfigError, match="grammar"):
        OutputSpec({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})


def test_output_type_must_be_a_model_or_a_schema():
    with pytest.raises(ConfigError, match="pydantic model class or a JSON Schema"):
        OutputSpec(Weather(city="x", temperature_c=1))  # an instance, not the class


# -- through the Agent ---------------------------------------------------------------------------


@tool
def get_weather(city: str) -> dict:
    """The current weather in a city.

    Args:
        city: the city's name
    """
    return {"city": city, "temp": 4.5, "sky": "light rain"}


WEATHER_PLAN = {"task_steps": ["look up the weather"], "task_nodes": [{"task": "get_weather", "arguments": {"city": "Oslo"}}], "task_links": []}


async def test_agent_output_type_gives_the_result_as_the_users_model():
    summarizer = ScriptedModel([{"city": "Oslo", "temperature_c": 4.5, "conditions": ["light rain"]}])
    agent = Agent([get_weather], model=plan_model(WEATHER_PLAN), summarizer=summarizer, retriever=None, output_type=Weather)
    result = await agent.run(REQUEST)
    assert isinstance(result.output, Weather) and result.output == Weather(city="Oslo", temperature_c=4.5, conditions=["light rain"])
    assert result.output_error is None and result.answer_by_model
    assert json.loads(result.answer)["temperature_c"] == 4.5
    assert json.loads(result.model_dump_json())["output"]["city"] == "Oslo"  # JSON data in dumps
    assert result.usage["summarizer"].calls == 1


async def test_agent_without_grounded_values_has_no_output_and_a_plain_answer():
    summarizer = ScriptedModel([{"city": "Oslo", "temperature_c": 30.0}] * 2)
    agent = Agent([get_weather], model=plan_model(WEATHER_PLAN), summarizer=summarizer, retriever=None, output_type=Weather)
    result = await agent.run(REQUEST)
    assert result.output is None and "temperature_c: 30.0 appears in no tool result" in result.output_error
    assert "4.5" in result.answer and not result.answer_by_model and result.nodes[0].status == NodeStatus.OK


async def test_agent_output_needs_a_tool_result_to_fill_it():
    unsolvable = {"task_steps": ["book a flight"], "task_nodes": [{"task": "none", "arguments": {}}], "task_links": []}
    summarizer = ScriptedModel([])  # never asked
    agent = Agent([get_weather], model=plan_model(unsolvable), summarizer=summarizer, retriever=None, output_type=Weather)
    result = await agent.run("Book a flight to Oslo")
    assert result.status.value == "unsolvable" and result.output is None
    assert result.output_error.startswith("no output: not possible with the available tools")


def test_agent_with_a_schema_llamacpp_cannot_decode_fails_when_built():
    with pytest.raises(ConfigError, match="grammar"):
        Agent([get_weather], model=plan_model(WEATHER_PLAN), retriever=None,
              output_type={"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}})  # fmt: skip


@pytest.mark.slow
async def test_typed_output_on_the_default_model(gemma):
    """The 270M base model decodes under the bounded schema's grammar: a grounded object, or none and why."""
    from agentkit.planners import get_planner
    from agentkit.tools import load_pack

    class Percentage(BaseModel):
        result: float

    agent = Agent(load_pack("math"), model=gemma, retriever="bm25", top_k=4, strategy=get_planner("one-shot", max_nodes=2),
                  output_type=Percentage)  # fmt: skip
    result = await agent.run("What is 15 percent of 240?")
    if not any(n.status == NodeStatus.OK for n in result.nodes):
        assert result.output is None and result.output_error.startswith("no output")
        return
    assert result.usage["summarizer"].calls >= 1
    if result.output is not None:  # its figure is one a tool returned, or one of the request's
        assert isinstance(result.output, Percentage)
        figure = f"{result.output.result:g}"
        assert figure in result.request or any(figure in json.dumps(n.output) for n in result.nodes if n.status == NodeStatus.OK)
    else:
        assert result.output_error.startswith("no output matching the schema")
