"""One-shot DAG planner (TaskBench / HuggingGPT style): tool list, worked examples, the request.

Without an example bank the one worked example is fixed. With one (``examples=bank``) the
``k`` solved requests nearest to the request take its place and the plan is adapted from
them (:mod:`.demos`); the fixed example remains the fallback for an empty bank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from agentkit.errors import ConfigError
from agentkit.models import ChatModel, TokenCallback
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool
from agentkit.toolgraph import ToolGraph

from .base import PlanResult, TemplatePlanner, Turn

if TYPE_CHECKING:
    from agentkit.examples import ExampleBank


class OneShotPlanner(TemplatePlanner):
    name = "one-shot"
    template = "plan_one_shot"

    def __init__(self, *, examples: ExampleBank | None = None, k: int = 3, **options: int):
        super().__init__(**options)
        if k < 1:
            raise ConfigError(f"k (examples shown to the planner) must be at least 1, got {k}")
        self.examples = examples
        self.k = k

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
        exclude: Iterable[str] = (),
    ) -> PlanResult:
        """``exclude``: example ids never to show (an evaluation's own sample)."""
        demos = self.examples.nearest(request, self.k, exclude=exclude) if self.examples is not None else []
        demos = [d for d in demos if all(t in registry for t in d.example.tools)]
        if not demos:
            return await super().plan(request, tools, model=model, registry=registry, graph=graph, history=history, on_token=on_token)
        from .demos import plan_from_demos

        return await plan_from_demos(
            request, tools, demos, model=model, registry=registry, graph=graph, history=history, on_token=on_token,
            max_nodes=self.max_nodes, max_chars=self.max_chars, max_tokens=self.max_tokens,
            free=self.examples.free_parameters() if self.examples is not None else (),
        )  # fmt: skip


__all__ = ["OneShotPlanner"]
