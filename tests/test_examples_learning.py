"""Agent(examples=..., learn=True): only runs that fully worked teach the bank, which persists per pool."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent, tool
from agentkit.config import load_config
from agentkit.examples import ExampleBank, ExampleStore, pool_key
from agentkit.executor import ExecutionPolicy
from agentkit.models import FunctionModel
from agentkit.plan import TaskNode, TaskPlan
from agentkit.planners import OneShotPlanner, PlanResult
from agentkit.registry import ToolRegistry
from agentkit.result import RunStatus
from agentkit.testing import _copy_planned_arguments


@tool(input_types=["number"], output_types=["number"])
def double(x: int) -> int:
    """Double a number.

    Args:
        x: the number
    """
    return 2 * x


@tool(input_types=["number"], output_types=["number"])
def broken(x: int) -> int:
    """Always fails.

    Args:
        x: the number
    """
    raise RuntimeError("out of order")


@tool(input_types=["number"], output_types=["number"], needs_approval=True)
def guarded(x: int) -> int:
    """Asks first.

    Args:
        x: the number
    """
    return x


POOL = ToolRegistry([double, broken, guarded])


class _Fixed:
    name = "fixed"

    def __init__(self, task: str):
        self.task = task

    async def plan(self, request: str, tools: Sequence[Any], **_: Any) -> PlanResult:
        return PlanResult(plan=TaskPlan(task_steps=["go"], task_nodes=[TaskNode(task=self.task, arguments={"x": 21})]))


def _model() -> FunctionModel:
    def reply(messages: list[Any], schema: dict[str, Any] | None) -> Any:
        props = (schema or {}).get("properties", {})
        return {"answer": "The result is 42."} if "answer" in props else _copy_planned_arguments(messages, props)

    return FunctionModel(reply)


def _agent(task: str, store: Path) -> Agent:
    bank = ExampleBank(store=ExampleStore(store, pool=pool_key(POOL)), retriever="bm25")
    return Agent(POOL, model=_model(), strategy=_Fixed(task), retriever="bm25", examples=bank, learn=True, substitutes=0,
                 fallbacks=0, policy=ExecutionPolicy(arguments="planner", retries=0, caller_retries=0))  # fmt: skip


async def test_a_run_that_fully_worked_is_learned_and_persisted(tmp_path: Path) -> None:
    result = await _agent("double", tmp_path / "ex.sqlite").run("Double 21")
    assert result.status == RunStatus.OK and result.grounded
    stored = ExampleStore(tmp_path / "ex.sqlite", pool=pool_key(POOL)).examples()
    assert [(e.request, e.tools) for e in stored] == [("Double 21", ["double"])]


async def test_the_same_request_twice_is_one_example(tmp_path: Path) -> None:
    agent = _agent("double", tmp_path / "ex.sqlite")
    await agent.run("Double 21")
    await agent.run("double  21")
    assert len(agent.examples.store) == 1 and agent.examples.store.hits(agent.examples.examples[0].id) == 2


async def test_what_is_learned_is_the_tool_that_ran() -> None:
    from agentkit.examples.wiring import executed_plan
    from agentkit.result import NodeResult, NodeStatus, RunResult

    plan = TaskPlan(task_nodes=[TaskNode(task="broken", arguments={"x": 21}), TaskNode(task="double", arguments={"x": "<node-0>"})])
    result = RunResult(request="r", status=RunStatus.OK, plan=plan, nodes=[
        NodeResult(index=0, tool="double", arguments={"x": 21}, status=NodeStatus.OK, output=42),
        NodeResult(index=1, tool="double", arguments={"x": 42}, status=NodeStatus.OK, output=84)])  # fmt: skip
    assert [(n.task, n.arguments) for n in executed_plan(result).task_nodes] == [("double", {"x": 21}), ("double", {"x": "<node-0>"})]


async def test_a_failed_run_is_never_learned(tmp_path: Path) -> None:
    agent = _agent("broken", tmp_path / "ex.sqlite")
    result = await agent.run("Double 21 with the broken tool")
    assert result.status != RunStatus.OK
    assert len(agent.examples.store) == 0


async def test_a_rejected_run_is_never_learned(tmp_path: Path) -> None:
    agent = _agent("guarded", tmp_path / "ex.sqlite")
    paused = await agent.run("Guard 21", thread_id="t1")
    assert paused.status == RunStatus.INTERRUPTED
    await agent.resume("t1", approve=False, reason="no")
    assert len(agent.examples.store) == 0


def test_builtin_examples_make_the_one_shot_planner_plan_from_them() -> None:
    from agentkit.tools import load_pack

    agent = Agent(load_pack("math"), model=_model(), retriever="bm25", examples="builtin")
    assert isinstance(agent.strategy, OneShotPlanner) and agent.strategy.examples is agent.examples
    assert len(agent.examples) >= 15 and agent.examples.store is None


def test_no_examples_and_no_learning_means_no_bank() -> None:
    assert Agent(POOL, model=_model(), retriever="bm25").examples is None


def test_the_config_file_takes_examples_and_learn(tmp_path: Path) -> None:
    (tmp_path / "agentkit.toml").write_text('examples = ["builtin", "bank.jsonl"]\nlearn = true\n')
    config = load_config(tmp_path / "agentkit.toml")
    assert config.examples == ["builtin", str(tmp_path / "bank.jsonl")] and config.learn is True


def test_a_bad_learn_value_in_the_config_file_is_a_config_error(tmp_path: Path) -> None:
    from agentkit.errors import ConfigError

    (tmp_path / "agentkit.toml").write_text('learn = "sometimes"\n')
    with pytest.raises(ConfigError):
        load_config(tmp_path / "agentkit.toml")
