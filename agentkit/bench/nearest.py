"""The no-model baseline: answer each request with the plan of the most similar solved request.

Similarity is the example bank's (the project's retriever over requests), over the same request
text the other systems receive. The sample itself is never its own neighbour (excluded by id and
by identical request), so this is a leave-one-out copy baseline every report can show beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentkit.bench.taskbench_data import Dependency, gold_file, load_tool_catalog
from agentkit.errors import PlanError
from agentkit.models import Usage


class NearestSystem:
    """Copy the nearest example's plan, as it is (no model, no repair)."""

    name = "nearest"

    def __init__(self, data_dir: str | Path, *, examples: str | Path | None = None):
        from agentkit.examples import ExampleBank
        from agentkit.loaders import load_taskbench_tools

        folder = gold_file(data_dir).parent
        self.dependency: Dependency = load_tool_catalog(folder / "tool_desc.json").dependency
        registry = load_taskbench_tools(folder).registry
        self.bank = ExampleBank.load(examples if examples is not None else gold_file(data_dir), registry=registry)

    @property
    def excluded_ids(self) -> set[str]:
        return set()

    async def predict(self, request: str, *, sample_id: str | None = None) -> tuple[dict[str, Any], Usage]:
        found = self.bank.nearest(request, 1, exclude=[sample_id] if sample_id else [])
        if not found:
            raise PlanError(["no example in the bank shares a word with the request"])
        return found[0].example.plan().to_taskbench(self.dependency), Usage()


__all__ = ["NearestSystem"]
