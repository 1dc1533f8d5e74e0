"""LangChain tools plug in as they are: Agent(tools=[lc_tool]) and ToolRegistry convert them."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool as lc_tool
from pydantic import BaseModel, Field

from agentkit import ToolArgumentError, ToolRegistry, load_tools
from agentkit.agent import Agent
from agentkit.errors import ToolDefinitionError
from agentkit.langchain_tools import from_langchain
from agentkit.result import RunStatus
from agentkit.testing import plan_model


@lc_tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: the first factor
        b: the second factor
    """
    return a * b


class CityQuery(BaseModel):
    city: str = Field(description="the city to look up")


@lc_tool("weather", args_schema=CityQuery)
async def weather(city: str) -> dict:
    """Current weather for a city."""
    return {"city": city, "celsius": 21}


def test_name_description_and_parameter_schema_come_from_the_langchain_tool():
    t = from_langchain(multiply)
    assert t.name == "multiply" and t.description == "Multiply two integers."
    assert t.parameters["required"] == ["a", "b"]
    assert t.parameters["properties"]["a"] == {"type": "integer", "description": "the first factor"}
    assert from_langchain(weather).parameters["properties"]["city"]["description"] == "the city to look up"


async def test_calls_go_through_ainvoke_and_arguments_are_checked_first():
    assert await from_langchain(multiply).acall({"a": 6, "b": 7}) == 42
    assert await from_langchain(weather).acall({"city": "Oslo"}) == {"city": "Oslo", "celsius": 21}
    with pytest.raises(ToolArgumentError, match="b"):
        await from_langchain(multiply).acall({"a": 6})


def test_agentkit_fields_can_be_set_on_the_conversion():
    assert from_langchain(multiply, needs_approval=True).needs_approval


def test_load_tools_takes_langchain_tools_beside_other_sources():
    loaded = load_tools(multiply, "math", [weather])
    assert {"multiply", "weather", "calculate"} <= set(loaded.registry.names)


def test_a_registry_takes_langchain_tools_and_still_rejects_other_objects():
    assert ToolRegistry([multiply, weather]).names == ["multiply", "weather"]
    with pytest.raises(ToolDefinitionError, match="LangChain BaseTool"):
        ToolRegistry([lambda x: x])


async def test_an_agent_runs_a_langchain_tool():
    plan = {"task_steps": ["multiply 6 by 7"], "task_nodes": [{"task": "multiply", "arguments": {"a": "6", "b": "7"}}], "task_links": []}
    agent = Agent(tools=[multiply, weather], model=plan_model(plan, answer="42"), retriever="bm25")
    result = await agent.run("what is 6 times 7?")
    assert result.status == RunStatus.OK and result.nodes[0].output == 42
