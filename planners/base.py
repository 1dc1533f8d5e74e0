"""What a planner is, and the shared constrained-decode / validate / repair-once loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentkit.errors import PlanError, StructuredOutputError
from agentkit.models import ChatModel, Message, TokenCallback, Usage, generate_object
from agentkit.plan import TaskPlan
from agentkit.planning import (
    LINK_NOT_A_NODE, arguments_schema, drop_unsound, plan_schema, steps_schema, to_task_plan, type_errors, validate_plan,
)  # fmt: skip
from agentkit.prompting import render
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool
from agentkit.toolgraph import ToolGraph


class Turn(BaseModel):
    """An earlier request and its answer, as context for later turns."""

    request: str
    answer: str


class PlanResult(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    plan: TaskPlan
    usage: Usage = Field(default_factory=Usage)
    attempts: int = 1
    raw: list[str] = Field(default_factory=list)
    dropped_links: list[str] = Field(
        default_factory=list,
        description="what an invalid plan lost to stand after repair: links naming no node, type-unsound references and links",
    )


class Planner(Protocol):
    """Decomposes a request into a TaskPlan over the given tools."""

    name: str

    async def plan(
        self,
        request: str,
        tools: Sequence[Tool],
        *,
        model: ChatModel,
        registry: ToolRegistry,
        graph: ToolGraph | None = None,
        history: Sequence[Turn] = (),
        on_token: TokenCallback | None = None,
    ) -> PlanResult: ...


class TemplatePlanner:
    """A planner defined by its prompt template: constrained decode, validate, repair once."""

    name = "template"
    template = ""

    def __init__(self, *, max_nodes: int = 5, max_chars: int = 80, max_tokens: int = 400):
        self.max_nodes = max_nodes
        self.max_chars = max_chars
        self.max_tokens = max_tokens

    def prompt(self, request: str, tools: Sequence[Tool], history: Sequence[Turn]) -> str:
        return render(self.template, request=request, tools=list(tools), history=list(history))

    async def plan(
        self,
        request: str,
        tools: Sequence[Tool],
        *,
        model: ChatModel,
        registry: ToolRegistry,
        graph: ToolGraph | None = None,
        history: Sequence[Turn] = (),
        on_token: TokenCallback | None = None,
    ) -> PlanResult:
        """Two phases: the steps, then exactly one tool node per step (TaskBench's rule).

        Fixing the node count in the second schema stops small models from repeating
        nodes until the array bound; the repair round re-does the second phase only.
        """
        messages = [Message(role="user", content=self.prompt(request, tools, history))]
        usage = Usage()
        raw: list[str] = []
        try:
            first = await generate_object(
                model, messages, steps_schema(max_nodes=self.max_nodes, max_chars=self.max_chars), max_tokens=self.max_tokens,
                on_token=on_token,
            )
        except StructuredOutputError as exc:
            raise PlanError(exc.problems or [str(exc)], partial=PlanResult(plan=TaskPlan(), raw=[exc.raw])) from None
        usage = usage + first.usage
        steps = [s for s in first.parsed["task_steps"] if s.strip()] or [request[: self.max_chars]]
        raw.append(first.text)
        schema = plan_schema(tools, max_chars=self.max_chars, n_nodes=len(steps), with_steps=False, graph=graph)
        messages = [
            *messages,
            Message(role="assistant", content=first.text),
            Message(role="user", content=render("plan_nodes", steps=steps)),
        ]
        problems: list[str] = []
        plan = TaskPlan(task_steps=steps)
        for attempt in (1, 2):
            try:
                completion = await generate_object(
                    model, messages, schema, max_tokens=self.max_tokens, repair=False, on_token=on_token
                )
            except StructuredOutputError as exc:
                raw.append(exc.raw)
                problems, text = exc.problems, exc.raw
            else:
                usage = usage + completion.usage
                raw.append(completion.text)
                text = completion.text
                plan, problems = to_task_plan({"task_steps": steps, **completion.parsed})
                problems += validate_plan(plan, registry, graph)
            if not problems:
                return PlanResult(plan=plan, usage=usage, attempts=attempt, raw=raw)
            if graph is not None and plan.task_nodes and all(n.task in registry for n in plan.task_nodes):
                # The repair keeps the chosen tools and types its references: node i may then reference
                # node j only when j's output can feed that parameter.
                schema = arguments_schema([registry.get(n.task) for n in plan.task_nodes], graph, max_chars=self.max_chars)
            messages = [
                *messages,
                Message(role="assistant", content=text),
                Message(role="user", content=render("plan_repair", problems=problems)),
            ]
        # Still invalid after repair. Links that name a tool that is no node of the plan were
        # already left out of it, and type-unsound references and links leave it now: if that is
        # all that is wrong, the valid part stands, and what was dropped is recorded.
        dropped = [p for p in problems if p.startswith("link ") and p.endswith(LINK_NOT_A_NODE)]
        unsound = type_errors(problems)
        if plan.task_nodes and len(dropped) + len(unsound) == len(problems):
            if unsound and graph is not None:
                plan, lost = drop_unsound(plan, registry, graph)
                left = [p for p in validate_plan(plan, registry, graph) if "missing required argument" not in p]
                if left:
                    raise PlanError(left, partial=PlanResult(plan=plan, usage=usage, attempts=2, raw=raw))
                dropped += lost
            return PlanResult(plan=plan, usage=usage, attempts=2, raw=raw, dropped_links=dropped)
        raise PlanError(problems, partial=PlanResult(plan=plan, usage=usage, attempts=2, raw=raw))


def describe(planner: Any) -> str:
    return getattr(planner, "name", type(planner).__name__)


__all__ = ["PlanResult", "Planner", "TemplatePlanner", "Turn", "describe"]
