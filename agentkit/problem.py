"""Builds a run's search problem once: who can serve each planned step, at what cost and quality.

The Agent hands a validated plan here and gets back a :class:`~agentkit.search.PathSearch`
over every step's candidates, or the capability no executable tool serves (ToolBeHonest's
"unsolvable"). Candidates, in decreasing trust:

* the planned tool, at its prior;
* tools that declare the step in ``subtask_priors``, at that prior;
* *substitutes*: tools the retriever ranks for the step's text whose resource types cover
  the planned tool's, at ``substitute_trust`` times their quality;
* *fallbacks*: other executable tools the retriever finds relevant to the step's text,
  whose parameters the caller may be able to fill from the step, the request and upstream
  outputs (``percentage_of`` when ``calculate`` rejects "15% of 240"). They are dominated by
  every candidate above (cost no lower, quality at most ``fallback_trust`` times the lowest),
  so they are tried only after those failed, at any alpha.

Each prior then moves by what earlier runs observed for the planned tool (``experience``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from .plan import TaskPlan
from .planning import NO_TOOL
from .registry import ToolRegistry
from .result import NodeResult, PathStep, ToolPathResult
from .retrieval import Retriever
from .search import Candidate, PathSearch, SearchProblem, Subtask, ToolPath, ToolStats
from .tool import Tool
from .toolgraph import ToolGraph


class CandidatePolicy(BaseModel):
    """How wide each step's candidate list is cast beyond the planned tool."""

    substitutes: int = Field(default=2, ge=0, description="same-type tools the retriever ranks for the step")
    substitute_trust: float = Field(default=0.8, ge=0.0, le=1.0)
    fallbacks: int = Field(default=2, ge=0, description="other retrieved tools tried after those failed")
    fallback_trust: float = Field(default=0.5, ge=0.0, le=1.0)


def step_texts(plan: TaskPlan) -> list[str]:
    return [plan.task_steps[i] if i < len(plan.task_steps) else node.task for i, node in enumerate(plan.task_nodes)]


class ProblemBuilder:
    """Candidates per step and the PathSearch for one plan (the Agent builds one per run)."""

    def __init__(
        self,
        registry: ToolRegistry,
        graph: ToolGraph,
        *,
        retriever: Retriever | None,
        experience: ToolStats,
        policy: CandidatePolicy,
        alpha: float,
    ):
        self.registry = registry
        self.graph = graph
        self.retriever = retriever
        self.experience = experience
        self.policy = policy
        self.alpha = alpha

    def unsolvable(self, plan: TaskPlan, retrieved: Sequence[str] = ()) -> str | None:
        """The first step no tool can serve: marked ``none`` by the planner, or without an executable tool."""
        for node, step in zip(plan.task_nodes, step_texts(plan), strict=True):
            if node.task == NO_TOOL:
                return step
            if not self.candidates(node.task, step, retrieved):
                return f"{step} (no executable tool for {node.task!r})"
        return None

    def candidates(self, planned: str, step: str, retrieved: Sequence[str] = ()) -> list[Candidate]:
        tool = self.registry.get(planned)
        priors: dict[str, tuple[float, float]] = {}
        for t in [tool, *(t for t in self.registry if t.name != tool.name and planned in t.subtask_priors)]:
            priors[t.name] = (t.prior_for(planned).cost, t.prior_for(planned).quality)
        for t in self._substitutes(tool, step):
            priors.setdefault(t.name, (t.prior.cost, t.prior.quality * self.policy.substitute_trust))
        # Fallbacks are dominated by every candidate above (cost no lower, quality lower), so at any
        # alpha they are tried only once those failed, never because they are cheaper.
        runnable = [priors[name] for name in priors if self.registry.get(name).executable]
        top_cost = max((c for c, _ in runnable), default=0.0)
        low_quality = min((q for _, q in runnable), default=1.0)
        for t in self._fallbacks(tool, step, retrieved, set(priors)):
            cost = max(t.prior.cost, top_cost) + 1e-6
            priors.setdefault(t.name, (cost, min(t.prior.quality, low_quality) * self.policy.fallback_trust))
        return [
            self.experience.effective(planned, Candidate(tool=name, cost=cost, quality=quality))
            for name, (cost, quality) in priors.items()
            if self.registry.get(name).executable
        ]

    def _substitutes(self, tool: Tool, step: str) -> list[Tool]:
        if self.retriever is None or self.policy.substitutes == 0 or not (tool.input_types and tool.output_types):
            return []
        found = []
        for scored in self.retriever.search(step, k=self.policy.substitutes + 1):
            other = self.registry.get(scored.name)
            if (
                other.name != tool.name
                and set(other.input_types) >= set(tool.input_types)
                and set(other.output_types) >= set(tool.output_types)
            ):
                found.append(other)
        return found[: self.policy.substitutes]

    def _fallbacks(self, tool: Tool, step: str, retrieved: Sequence[str], taken: set[str]) -> list[Tool]:
        """Tools the retriever finds relevant to the step's text, then to the request, to stand in when all else failed.

        Only with a retriever, and only tools that share words or meaning with the step or
        the request (score > 0; ``retrieved`` holds the request's relevant tools): a step is
        never "recovered" onto something unrelated that happens to succeed. Typed tools stand
        in only for tools of the same resource types (the search checks the links too);
        untyped tools only for untyped ones."""
        if self.policy.fallbacks == 0 or self.retriever is None:
            return []
        ranked = [s.name for s in self.retriever.search(step, k=self.policy.fallbacks + 3) if s.score > 0]
        found: list[Tool] = []
        for name in dict.fromkeys([*ranked, *retrieved]):
            if name in taken or name == tool.name or name not in self.registry:
                continue
            other = self.registry.get(name)
            if other.executable and _same_kind(tool, other):
                found.append(other)
            if len(found) == self.policy.fallbacks:
                break
        return found

    def build(self, plan: TaskPlan, retrieved: Sequence[str] = ()) -> PathSearch:
        # The search checks type compatibility on data-flow edges (<node-j> references) only;
        # ordering-only links are the executor's business.
        deps: dict[int, set[int]] = {i: set() for i in range(len(plan.task_nodes))}
        for s, t in plan.reference_links():
            deps[t].add(s)
        steps = step_texts(plan)
        problem = SearchProblem(
            subtasks=[
                Subtask(
                    id=str(i), description=steps[i], depends_on=[str(d) for d in sorted(deps[i])],
                    candidates=self.candidates(node.task, steps[i], retrieved),
                )  # fmt: skip
                for i, node in enumerate(plan.task_nodes)
            ]
        )
        kinds = {str(i): node.task for i, node in enumerate(plan.task_nodes)}
        return PathSearch(
            problem, alpha=self.alpha, compatible=self.graph.compatible, memory=self.experience, kinds=kinds,
            source_key=self.graph.feeding_signature,
        )  # fmt: skip


def _same_kind(planned: Tool, other: Tool) -> bool:
    typed = bool(planned.input_types or planned.output_types)
    if typed != bool(other.input_types or other.output_types):
        return False
    return not typed or set(other.output_types) >= set(planned.output_types)


def path_result(
    plan: TaskPlan, search: PathSearch, path: ToolPath | None, alpha: float, results: Sequence[NodeResult] = ()
) -> ToolPathResult:
    """The chosen (or, with ``results``, the executed) tool per node with its cost and quality."""
    if results:
        chosen = {r.index: r.tool for r in results}
    else:
        chosen = {int(k): v.tool for k, v in path.assignments.items()} if path is not None else {}
    steps = []
    for i, node in enumerate(plan.task_nodes):
        tool = chosen.get(i, node.task)
        subtask = search.problem.get(str(i))
        known = {c.tool for c in subtask.candidates}
        cand = search.stats.effective(str(i), subtask.candidate(tool if tool in known else subtask.candidates[0].tool))
        steps.append(PathStep(node=i, planned_tool=node.task, tool=tool, cost=cand.cost, quality=cand.quality))
    total_quality = 1.0
    for s in steps:
        total_quality *= s.quality
    replans = sum(max(0, len(r.attempts) - 1) for r in results)
    return ToolPathResult(
        steps=steps, total_cost=sum(s.cost for s in steps), total_quality=total_quality,
        score=path.score if path is not None else 0.0, alpha=alpha, replans=replans,
    )  # fmt: skip


__all__ = ["CandidatePolicy", "ProblemBuilder", "path_result", "step_texts"]
