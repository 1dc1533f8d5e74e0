"""One run as a LangGraph functional-API entrypoint: retrieve -> plan -> search -> execute -> summarise.

Every stage is a task, so its result is checkpointed the moment it finishes: a run that
is killed, fails or waits for an approval resumes (same ``thread_id``) without redoing
finished stages or nodes. What a conversation carries to its next turn (requests,
grounded answers, whether untrusted tool output entered it) is the entrypoint's saved
value, so it lives in the checkpointer under the thread id, never on the Agent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.func import entrypoint, task
from pydantic import BaseModel, Field

from . import events as ev
from .errors import PlanError, StructuredOutputError, UnsolvableError
from .executor import PlanExecutor
from .models import Usage
from .plan import TaskPlan
from .problem import path_result, step_texts
from .result import NodeResult, NodeStatus, RetrievedTool, RunResult, RunStatus, ToolPathResult
from .roles import Caller, Summarizer, Summary
from .sanitize import safe_output

if TYPE_CHECKING:
    from .agent import Agent

MAX_TURNS = 10  # kept per conversation; the planner sees the last 3


class Turn(BaseModel):
    """An earlier request of the conversation and its answer (only a grounded, model-written one)."""

    request: str
    answer: str = ""
    untrusted: bool = False  # tool output entered the conversation in this turn


class Conversation(BaseModel):
    turns: list[Turn] = Field(default_factory=list)

    @property
    def untrusted(self) -> bool:
        return any(t.untrusted for t in self.turns)


def turn_of(result: RunResult) -> Turn:
    """What a finished run leaves in its conversation: the request, and the answer if it is grounded and model-written."""
    kept = result.answer if result.grounded and result.answer_by_model else ""
    untrusted = any(n.status == NodeStatus.OK and n.output is not None for n in result.nodes)
    return Turn(request=result.request, answer=kept, untrusted=untrusted)


def emit(event: Any) -> None:
    get_stream_writer()(event)


def token_emitter(role: str) -> Callable[[str], None]:
    """Streams a role's generated text as TokenGenerated events (writer bound now, in the task's context)."""
    writer = get_stream_writer()
    return lambda text: writer(ev.TokenGenerated(role=role, text=text))


def structural_problems(plan: TaskPlan, known: Callable[[str], bool]) -> list[str]:
    """What makes a plan impossible to execute, whatever produced it (custom planners included)."""
    from .planning import NO_TOOL

    n = len(plan.task_nodes)
    if n == 0:
        return ["the plan has no steps"]
    problems = [f"node {i}: unknown tool {node.task!r}" for i, node in enumerate(plan.task_nodes)
                if node.task != NO_TOOL and not known(node.task)]  # fmt: skip
    for i, node in enumerate(plan.task_nodes):
        problems += [f"node {i}: references <node-{r}>, which is not an earlier node" for r in node.references() if not 0 <= r < n or r == i]
    problems += [f"link {k.source} -> {k.target} points outside the plan" for k in plan.task_links
                 if not (0 <= k.source < n and 0 <= k.target < n)]  # fmt: skip
    if not problems:
        import networkx as nx

        if not nx.is_directed_acyclic_graph(plan.to_networkx()):
            problems.append("the plan has a cycle")
    return problems


def build_workflow(agent: Agent, saver: BaseCheckpointSaver) -> Any:
    """The entrypoint for ``agent``'s runs, checkpointed by ``saver``."""

    @task
    async def retrieve(request: str) -> list[dict[str, Any]]:
        return [r.model_dump() for r in agent.retrieve(request)]

    @task
    async def plan(request: str, tool_names: list[str], history: list[dict[str, Any]]) -> dict[str, Any]:
        from .planners import Turn as PlannerTurn

        tools = [agent.registry.get(n) for n in tool_names]
        outcome = await agent.strategy.plan(
            request, tools, model=agent.models["planner"], registry=agent.registry, graph=agent.graph,
            history=[PlannerTurn(request=t["request"], answer=t["answer"]) for t in history],
            on_token=token_emitter("planner"),
        )  # fmt: skip
        # plain data only: a custom planner's plan may hold values a checkpoint cannot store (2**70, bytes)
        plan_data = safe_output(outcome.plan.model_dump(mode="json"))
        return {"plan": plan_data, "usage": outcome.usage.model_dump(), "attempts": outcome.attempts}

    @task
    async def summarize(
        request: str, nodes: list[dict[str, Any]], unsolvable: str | None, steps: list[str], sinks: list[int] | None = None
    ) -> dict[str, Any]:
        if agent.output is not None:  # Agent(output_type=...): decoded under the user's schema (agentkit.typed_output)
            return await agent.output.summary(
                agent.models["summarizer"], request, [NodeResult.model_validate(n) for n in nodes], unsolvable, steps,
                on_token=token_emitter("summarizer"),
            )  # fmt: skip
        results = [NodeResult.model_validate(n) for n in nodes]
        summary = await Summarizer(agent.models["summarizer"]).summarize(
            request, results, unsolvable, steps=steps, on_token=token_emitter("summarizer"),
            parameters=parameter_schemas(agent.registry, {r.tool for r in results}), sinks=sinks,
        )  # fmt: skip
        return summary.model_dump()

    stages = _Stages(agent, retrieve, plan, summarize)

    @entrypoint(checkpointer=saver)  # the graph is named after the function
    async def agentkit_run(inputs: dict[str, Any], *, previous: dict[str, Any] | None = None) -> Any:
        conversation = Conversation.model_validate(inputs.get("conversation") or previous or {})
        result = await stages.run(inputs["request"], conversation)
        turns = [*conversation.turns, turn_of(result)][-MAX_TURNS:]
        return entrypoint.final(value=result.model_dump(mode="json"), save=Conversation(turns=turns).model_dump())

    return agentkit_run


class _Stages:
    """The body of one run, stage by stage, over the run's checkpointed tasks."""

    def __init__(self, agent: Agent, retrieve: Any, plan: Any, summarize: Any):
        self.agent, self.retrieve, self.plan, self.summarize = agent, retrieve, plan, summarize

    async def run(self, request: str, conversation: Conversation) -> RunResult:
        agent = self.agent
        usage: dict[str, Usage] = {}
        retrieved = [RetrievedTool.model_validate(r) for r in await self.retrieve(request)]
        emit(ev.Retrieved(tools=retrieved, note=getattr(agent.retriever, "note", None)))
        task_plan = await self._plan(request, retrieved, conversation, usage)
        base = {"request": request, "retrieved": retrieved, "plan": task_plan}
        steps = step_texts(task_plan)
        builder = agent.problem_builder()
        names = [r.name for r in retrieved if r.score > 0]  # relevant to the request: fallbacks may come from here
        missing = builder.unsolvable(task_plan, names)
        search = None if missing else builder.build(task_plan, names)
        path = None
        if search is not None:
            try:
                path = search.best()
            except UnsolvableError as exc:
                missing = exc.capability
        if missing or search is None:
            summarized = await self.summarize(request, [], missing, steps)
            return RunResult(
                **base, status=RunStatus.UNSOLVABLE, unsolvable=missing, answer=Summary.model_validate(summarized).answer,
                usage=usage, output_error=summarized.get("output_error"),
            )  # fmt: skip
        emit(ev.PathChosen(path=path_result(task_plan, search, path, agent.alpha)))
        executor = PlanExecutor(
            plan=task_plan, request=request, registry=agent.registry, search=search,
            caller=Caller(agent.models["caller"], examples=getattr(agent, "examples", None)), policy=agent.policy, emit=emit,
            untrusted_context=conversation.untrusted,
        )  # fmt: skip
        outcome = await executor.run()
        if outcome.caller_usage.calls:
            usage["caller"] = outcome.caller_usage
        results = outcome.results
        fed = {s for s, t in task_plan.dependencies() if s != t}
        sinks = [i for i in range(len(results)) if i not in fed]  # the final steps: the answer must state one
        summarized = await self.summarize(request, [r.model_dump(mode="json") for r in results], None, steps, sinks)
        summary = Summary.model_validate(summarized)
        if summary.usage.calls:
            usage["summarizer"] = summary.usage
            emit(ev.ModelCalled(role="summarizer", model=agent.models["summarizer"].name, usage=summary.usage))
        return RunResult(
            **base, status=run_status(results), path=path_result(task_plan, search, None, agent.alpha, results),
            nodes=results, answer=summary.answer, grounded=summary.grounded, ungrounded=summary.ungrounded,
            answer_by_model=summary.by_model, usage=usage,
            output=summarized.get("output"), output_error=summarized.get("output_error"),
        )  # fmt: skip

    async def _plan(
        self, request: str, retrieved: list[RetrievedTool], conversation: Conversation, usage: dict[str, Usage]
    ) -> TaskPlan:
        """The plan (checkpointed), checked whatever produced it: a custom planner's cycle is a PlanError too."""
        agent = self.agent
        history = [t.model_dump() for t in conversation.turns[-3:]]
        try:
            planned = await self.plan(request, [r.name for r in retrieved], history)
        except StructuredOutputError as exc:
            raise PlanError(exc.problems or [str(exc)]) from None
        task_plan = TaskPlan.model_validate(planned["plan"])
        usage["planner"] = Usage.model_validate(planned["usage"])
        emit(ev.Planned(plan=task_plan, attempts=planned["attempts"]))
        emit(ev.ModelCalled(role="planner", model=agent.models["planner"].name, usage=usage["planner"]))
        problems = structural_problems(task_plan, lambda name: name in agent.registry)
        if problems:
            raise PlanError(problems)
        return task_plan


def parameter_schemas(registry: Any, tools: set[str]) -> dict[str, dict[str, Any]]:
    """tool -> {parameter: schema}: what the grounding check needs to tell a default or a fixed choice."""
    return {name: dict(registry.get(name).parameters.get("properties", {})) for name in tools if name in registry}


def run_status(results: list[NodeResult]) -> RunStatus:
    """``ok`` only when every node succeeded; ``failed`` when none did."""
    ok = sum(r.status == NodeStatus.OK for r in results)
    if ok == len(results):
        return RunStatus.OK
    return RunStatus.FAILED if ok == 0 else RunStatus.PARTIAL


def request_of(state: Any) -> str:
    for task_ in getattr(state, "tasks", ()) or ():
        inputs = getattr(task_, "input", None)
        if isinstance(inputs, dict) and isinstance(inputs.get("request"), str):
            return inputs["request"]
    return ""


class PartialResult:
    """Builds a partial RunResult from streamed events, for runs that stop early."""

    def __init__(self, request: str):
        self.request = request
        self.retrieved: list[RetrievedTool] = []
        self.plan: TaskPlan | None = None
        self.path: ToolPathResult | None = None
        self.nodes: dict[int, NodeResult] = {}
        self.usage: dict[str, Usage] = {}

    def see(self, event: Any) -> None:
        if isinstance(event, ev.Retrieved):
            self.retrieved = event.tools
        elif isinstance(event, ev.Planned):
            self.plan = event.plan
            self.request = self.request or ""
        elif isinstance(event, ev.PathChosen):
            self.path = event.path
        elif isinstance(event, ev.NodeFinished):
            self.nodes[event.result.index] = event.result
        elif isinstance(event, ev.ModelCalled):
            self.usage[event.role] = self.usage.get(event.role, Usage()) + event.usage

    def result(self, thread_id: str, status: RunStatus, error: str | None = None) -> RunResult:
        return RunResult(
            request=self.request, status=status, retrieved=self.retrieved, plan=self.plan, path=self.path,
            nodes=[self.nodes[i] for i in sorted(self.nodes)], usage=self.usage, thread_id=thread_id, error=error,
        )  # fmt: skip


__all__ = [
    "PartialResult",
    "request_of","Conversation", "Turn", "build_workflow", "run_status", "structural_problems", "turn_of"]
