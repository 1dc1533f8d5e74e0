"""The Agent: retrieve -> plan -> choose a tool path (A*) -> execute -> summarise, on LangGraph.

The whole run is one LangGraph functional-API entrypoint whose stages are tasks. A
task's result is checkpointed the moment it finishes, so a run that is killed,
fails or waits for an approval resumes (same ``thread_id``) without re-running
finished stages or nodes. Plan nodes are tasks too, all called up front in a fixed
order (stable task ids across resumes) and each waits for its own inputs only: a
node starts as soon as its dependencies finish, not at a superstep boundary, so the
makespan follows the critical path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic_core import to_jsonable_python
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.config import get_stream_writer
from langgraph.func import entrypoint, task
from langgraph.types import Command, interrupt

from . import events as ev
from .errors import ConfigError, ModelError, PlanError, RunCancelledError, StructuredOutputError
from .executor import ExecutionPolicy, NodeRunner
from .models import ChatModel, Usage, load_model
from .plan import TaskPlan
from .planning import NO_TOOL
from .registry import ToolRegistry
from .result import NodeResult, NodeStatus, PathStep, RetrievedTool, RunResult, RunStatus, ToolPathResult
from .retrieval import Retriever, load_or_build, make_retriever
from .roles import Caller, Summarizer
from .search import Candidate, PathSearch, SearchProblem, Subtask, ToolStats
from .tool import Tool
from .toolgraph import ToolGraph

DEFAULT_MODEL = "llamacpp:default"
# From this many tools an uncached dense index (about 50 documents/s on 2 cores) is built in
# the background while BM25 serves.
BACKGROUND_INDEX_AT = 1000


def _cached_retriever(kind: str, tools: list[Tool]) -> Retriever:
    """A retriever index persisted under the cache dir, keyed by the tools' documents.

    Dense embedding is the slow part of building an index (about 50 documents/s on 2
    cores), so a pool is embedded once and later agents over the same tools load it.
    """
    from .paths import cache_dir
    from .retrieval.base import tools_hash

    if kind not in ("bm25", "dense", "hybrid"):
        raise ConfigError(f"unknown retriever {kind!r} (expected hybrid, bm25 or dense)")
    if kind == "bm25" or len(tools) < 50:
        return make_retriever(kind, tools)  # type: ignore[arg-type]
    # A large new pool answers by BM25 at once and fuses dense ranks when they are ready.
    return load_or_build(
        kind, tools, cache_dir() / "indexes" / f"{kind}-{tools_hash(tools)[:16]}",  # type: ignore[arg-type]
        background=len(tools) >= BACKGROUND_INDEX_AT,
    )  # fmt: skip


def _emit(event: Any) -> None:
    get_stream_writer()(event)


def _token_emitter(role: str) -> Callable[[str], None]:
    """Streams a role's generated text as TokenGenerated events (writer bound now, in the task's context)."""
    writer = get_stream_writer()
    return lambda text: writer(ev.TokenGenerated(role=role, text=text))


class Agent:
    """An agent over a pool of tools, each role bound to its own model.

    >>> agent = Agent(tools=registry, planner="llamacpp:default", summarizer="openai:gpt-4o-mini")
    >>> result = await agent.run("...")        # or agent.run_sync(...), or: async for e in agent.stream(...)
    """

    def __init__(
        self,
        tools: ToolRegistry | Iterable[Tool],
        *,
        model: str | ChatModel = DEFAULT_MODEL,
        planner: str | ChatModel | None = None,
        caller: str | ChatModel | None = None,
        summarizer: str | ChatModel | None = None,
        strategy: str | Any = "one-shot",
        retriever: str | Retriever | None = "hybrid",
        top_k: int = 8,
        alpha: float = 0.5,
        policy: ExecutionPolicy | None = None,
        links: Iterable[tuple[str, str]] = (),
        checkpoint: str | Path | BaseCheckpointSaver | None = None,
        substitutes: int = 2,
        substitute_trust: float = 0.8,
        experience: ToolStats | None = None,
    ):
        from .planners import get_planner

        self.registry = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools)
        if len(self.registry) == 0:
            raise ConfigError("an agent needs at least one tool")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"alpha must be in [0, 1], got {alpha}")
        if substitutes < 0 or not 0.0 <= substitute_trust <= 1.0:
            raise ConfigError(f"substitutes must be >= 0 and substitute_trust in [0, 1], got {substitutes}, {substitute_trust}")
        self.graph = ToolGraph(self.registry, links)
        self.models: dict[str, ChatModel] = {}
        cache: dict[str, ChatModel] = {}

        def bind(spec: str | ChatModel | None) -> ChatModel:
            spec = model if spec is None else spec
            if not isinstance(spec, str):
                return spec
            if spec not in cache:
                cache[spec] = load_model(spec)
            return cache[spec]

        self.models = {"planner": bind(planner), "caller": bind(caller), "summarizer": bind(summarizer)}
        self.strategy = get_planner(strategy) if isinstance(strategy, str) else strategy
        if isinstance(retriever, str):
            self.retriever: Retriever | None = _cached_retriever(retriever, list(self.registry))
        else:
            self.retriever = retriever
        self.top_k = top_k
        self.alpha = alpha
        self.substitutes = substitutes
        self.substitute_trust = substitute_trust
        # What runs observed per (planned tool, tool): later runs' priors start from it.
        self.experience = experience if experience is not None else ToolStats()
        self.policy = policy or ExecutionPolicy()
        self._checkpoint = checkpoint
        self._memory = InMemorySaver()
        self.history: list[dict[str, str]] = []

    # -- public API ------------------------------------------------------------------

    async def run(self, request: str, *, thread_id: str | None = None) -> RunResult:
        """Answer ``request``; see :meth:`stream` for the events on the way."""
        result: RunResult | None = None
        async for event in self.stream(request, thread_id=thread_id):
            if isinstance(event, ev.Finished):
                result = event.result
        assert result is not None
        return result

    def run_sync(self, request: str, *, thread_id: str | None = None) -> RunResult:
        """Blocking :meth:`run`, for scripts and notebooks without an event loop."""
        return asyncio.run(self.run(request, thread_id=thread_id))

    async def stream(self, request: str, *, thread_id: str | None = None) -> AsyncIterator[ev.Event]:
        """Run ``request``, yielding typed events; the last one is :class:`~agentkit.events.Finished`."""
        payload = {"request": request, "history": self.history[-3:]}
        async for event in self._drive(payload, thread_id or uuid.uuid4().hex):
            yield event

    async def resume(self, thread_id: str, *, approve: bool | None = None) -> RunResult:
        """Continue a run that was interrupted (approval), failed or killed, without redoing finished work."""
        result: RunResult | None = None
        async for event in self.stream_resume(thread_id, approve=approve):
            if isinstance(event, ev.Finished):
                result = event.result
        assert result is not None
        return result

    async def stream_resume(self, thread_id: str, *, approve: bool | None = None) -> AsyncIterator[ev.Event]:
        async for event in self._drive(None, thread_id, approve=approve):
            yield event

    # -- resources: what the tools hold open (MCP sessions) ---------------------------

    async def aclose(self) -> None:
        """Close the sessions the agent's tools call through (MCP servers; stdio servers stop)."""
        from .mcp_client import close_mcp_sessions

        await close_mcp_sessions(self.registry)

    def close(self) -> None:
        """Blocking :meth:`aclose`, for scripts that use :meth:`run_sync`."""
        from .mcp_client import mcp_sessions

        for owner in mcp_sessions(self.registry):
            owner.close()

    async def __aenter__(self) -> Agent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- LangGraph plumbing ------------------------------------------------------------

    @asynccontextmanager
    async def _saver(self) -> AsyncIterator[BaseCheckpointSaver]:
        if self._checkpoint is None:
            yield self._memory
        elif isinstance(self._checkpoint, BaseCheckpointSaver):
            yield self._checkpoint
        else:
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            async with AsyncSqliteSaver.from_conn_string(str(self._checkpoint)) as saver:
                yield saver

    async def _drive(self, payload: dict[str, Any] | None, thread_id: str, approve: bool | None = None) -> AsyncIterator[ev.Event]:
        config = {"configurable": {"thread_id": thread_id}}
        async with self._saver() as saver:
            flow = self._workflow(saver)
            if payload is None:
                state = await flow.aget_state(config)
                pending = list(getattr(state, "interrupts", ()) or ())
                if approve is not None and pending:
                    value: Any = Command(resume={i.id: approve for i in pending}) if len(pending) > 1 else Command(resume=approve)
                else:
                    value = None
            else:
                value = payload
            collected = _Collector(payload["request"] if payload else "")
            final: dict[str, Any] | None = None
            try:
                async for mode, item in flow.astream(value, config, stream_mode=["custom", "updates"], durability="sync"):
                    if mode == "custom":
                        collected.see(item)
                        yield item
                    elif isinstance(item, dict) and "agentkit_run" in item:
                        final = item["agentkit_run"]
            except asyncio.CancelledError:
                raise RunCancelledError("the run was cancelled", partial=collected.result(thread_id, RunStatus.FAILED)) from None
            except (PlanError, ModelError) as exc:
                exc.partial = collected.result(thread_id, RunStatus.FAILED, error=str(exc))
                raise
            if final is None:
                state = await flow.aget_state(config)
                pending = list(getattr(state, "interrupts", ()) or ())
                result = collected.result(thread_id, RunStatus.INTERRUPTED)
                if pending:
                    result.pending_approval = pending[0].value
                    if len(pending) > 1:
                        result.pending_approval = {"requests": [p.value for p in pending]}
                    yield ev.ApprovalRequested(**pending[0].value)
            else:
                result = RunResult.model_validate(final)
                result.thread_id = thread_id
                if result.status in (RunStatus.OK, RunStatus.PARTIAL, RunStatus.UNSOLVABLE):
                    self.history.append({"request": result.request, "answer": result.answer})
            yield ev.Finished(result=result)

    def _workflow(self, saver: BaseCheckpointSaver):
        agent = self

        @task
        async def retrieve(request: str) -> list[dict[str, Any]]:
            return [r.model_dump() for r in agent._retrieve(request)]

        @task
        async def plan(request: str, tool_names: list[str], history: list[dict[str, str]]) -> dict[str, Any]:
            from .planners import Turn

            tools = [agent.registry.get(n) for n in tool_names]
            outcome = await agent.strategy.plan(
                request, tools, model=agent.models["planner"], registry=agent.registry, graph=agent.graph,
                history=[Turn(**t) for t in history], on_token=_token_emitter("planner"),
            )  # fmt: skip
            return {"plan": outcome.plan.model_dump(), "usage": outcome.usage.model_dump(), "attempts": outcome.attempts}

        @task
        async def summarize(request: str, nodes: list[dict[str, Any]], unsolvable: str | None) -> dict[str, Any]:
            summarizer = Summarizer(agent.models["summarizer"])
            answer, usage = await summarizer.summarize(
                request, [NodeResult.model_validate(n) for n in nodes], unsolvable, on_token=_token_emitter("summarizer")
            )
            return {"answer": answer, "usage": usage.model_dump()}

        @entrypoint(checkpointer=saver, name="agentkit_run")
        async def agentkit_run(inputs: dict[str, Any]) -> dict[str, Any]:
            request, history = inputs["request"], inputs.get("history", [])
            usage: dict[str, Usage] = {}
            retrieved = [RetrievedTool.model_validate(r) for r in await retrieve(request)]
            _emit(ev.Retrieved(tools=retrieved, note=getattr(agent.retriever, "note", None)))
            try:
                planned = await plan(request, [r.name for r in retrieved], history)
            except StructuredOutputError as exc:
                raise PlanError(exc.problems or [str(exc)]) from None
            task_plan = TaskPlan.model_validate(planned["plan"])
            usage["planner"] = Usage.model_validate(planned["usage"])
            _emit(ev.Planned(plan=task_plan, attempts=planned["attempts"]))
            _emit(ev.ModelCalled(role="planner", model=agent.models["planner"].name, usage=usage["planner"]))
            base = {"request": request, "retrieved": retrieved, "plan": task_plan}

            missing = agent._unsolvable(task_plan)
            search = None if missing else agent._search(task_plan)
            if search is not None:
                from .errors import UnsolvableError

                try:
                    path = search.best()
                except UnsolvableError as exc:
                    missing = exc.capability
            if missing:
                summary = await summarize(request, [], missing)
                usage["summarizer"] = Usage.model_validate(summary["usage"])
                return RunResult(
                    **base, status=RunStatus.UNSOLVABLE, unsolvable=missing, answer=summary["answer"], usage=usage
                ).model_dump(mode="json")
            assert search is not None
            path_result = agent._path_result(task_plan, search, path)
            _emit(ev.PathChosen(path=path_result))

            nodes = await agent._execute(task_plan, request, search)
            caller_usage = Usage.model_validate(nodes.pop("__caller_usage__"))
            if caller_usage.calls:
                usage["caller"] = caller_usage
            results = [NodeResult.model_validate(nodes[str(i)]) for i in range(len(task_plan.task_nodes))]
            final_path = agent._path_result(task_plan, search, None, results=results)
            summary = await summarize(request, [r.model_dump(mode="json") for r in results], None)
            usage["summarizer"] = Usage.model_validate(summary["usage"])
            _emit(ev.ModelCalled(role="summarizer", model=agent.models["summarizer"].name, usage=usage["summarizer"]))
            status = RunStatus.OK if all(r.status == NodeStatus.OK for r in results) else RunStatus.PARTIAL
            return RunResult(
                **base, status=status, path=final_path, nodes=results, answer=summary["answer"], usage=usage
            ).model_dump(mode="json")

        return agentkit_run

    # -- stages ------------------------------------------------------------------------

    def _retrieve(self, request: str) -> list[RetrievedTool]:
        if self.retriever is None or len(self.registry) <= self.top_k:
            scored = self.retriever.search(request, k=len(self.registry)) if self.retriever else []
            by_name = {s.name: s for s in scored}
            return [
                RetrievedTool(**(dataclasses.asdict(by_name[n]) if n in by_name else {"name": n, "score": 0.0}))
                for n in sorted(self.registry.names, key=lambda n: -(by_name[n].score if n in by_name else 0.0))
            ]
        return [
            RetrievedTool(name=s.name, score=s.score, lexical_rank=s.lexical_rank, dense_rank=s.dense_rank)
            for s in self.retriever.search(request, k=self.top_k)
        ]

    def _unsolvable(self, plan: TaskPlan) -> str | None:
        """The capability no available tool serves (ToolBeHonest): a step marked 'none' or without any executable tool."""
        for i, node in enumerate(plan.task_nodes):
            step = plan.task_steps[i] if i < len(plan.task_steps) else f"step {i}"
            if node.task == NO_TOOL:
                return step
            if not self._candidates(node.task, step):
                return f"{step} (no executable tool for {node.task!r})"
        return None

    def _candidates(self, planned: str, step: str) -> list[Candidate]:
        """Who can serve the subtask the planner gave to ``planned``, with cost and quality.

        * the planned tool, at its prior;
        * tools that declare the subtask in ``subtask_priors`` (e.g. a second OCR engine
          with ``subtask_priors={"ocr": ToolPrior(cost=3, quality=0.95)}``), at that prior;
        * substitutes: tools the retriever ranks in the top ``substitutes`` for the step's
          own text whose resource types cover the planned tool's (the ToolGraph's view: they
          take the same inputs and feed the same consumers). Undeclared, they are trusted
          less: their quality is scaled by ``substitute_trust``. Tools without declared
          types are never substitutes: two text -> text tools are rarely interchangeable.

        Each prior then moves by what earlier runs observed for this planned tool (``experience``).
        """
        tool = self.registry.get(planned)
        priors: dict[str, tuple[float, float]] = {}
        for t in [tool, *(t for t in self.registry if t.name != tool.name and planned in t.subtask_priors)]:
            priors[t.name] = (t.prior_for(planned).cost, t.prior_for(planned).quality)
        for t in self._substitutes(tool, step):
            priors.setdefault(t.name, (t.prior.cost, t.prior.quality * self.substitute_trust))
        return [
            self.experience.effective(planned, Candidate(tool=name, cost=cost, quality=quality))
            for name, (cost, quality) in priors.items()
            if self.registry.get(name).executable
        ]

    def _substitutes(self, tool: Tool, step: str) -> list[Tool]:
        if self.retriever is None or self.substitutes == 0 or not (tool.input_types and tool.output_types):
            return []
        found = []
        for scored in self.retriever.search(step, k=self.substitutes + 1):
            other = self.registry.get(scored.name)
            if (
                other.name != tool.name
                and set(other.input_types) >= set(tool.input_types)
                and set(other.output_types) >= set(tool.output_types)
            ):
                found.append(other)
        return found[: self.substitutes]

    def _search(self, plan: TaskPlan) -> PathSearch:
        # The search checks type compatibility on its dependency edges, so it gets only the
        # data-flow edges (<node-j> references); ordering-only links are the executor's business.
        deps: dict[int, set[int]] = {i: set() for i in range(len(plan.task_nodes))}
        for s, t in plan.reference_links():
            deps[t].add(s)
        steps = [plan.task_steps[i] if i < len(plan.task_steps) else node.task for i, node in enumerate(plan.task_nodes)]
        problem = SearchProblem(
            subtasks=[
                Subtask(
                    id=str(i),
                    description=steps[i],
                    depends_on=[str(d) for d in sorted(deps[i])],
                    candidates=self._candidates(node.task, steps[i]),
                )
                for i, node in enumerate(plan.task_nodes)
            ]
        )

        kinds = {str(i): node.task for i, node in enumerate(plan.task_nodes)}
        return PathSearch(
            problem, alpha=self.alpha, compatible=self.graph.compatible, memory=self.experience, kinds=kinds,
            source_key=self.graph.feeding_signature,
        )  # fmt: skip

    def _path_result(self, plan: TaskPlan, search: PathSearch, path: Any, results: list[NodeResult] | None = None) -> ToolPathResult:
        steps = []
        chosen = {r.index: r.tool for r in results} if results else {i: c.tool for i, c in ((int(k), v) for k, v in path.assignments.items())}
        for i, node in enumerate(plan.task_nodes):
            tool = chosen.get(i, node.task)
            cand = search.stats.effective(str(i), search.problem.get(str(i)).candidate(tool))
            steps.append(PathStep(node=i, planned_tool=node.task, tool=tool, cost=cand.cost, quality=cand.quality))
        total_quality = 1.0
        for s in steps:
            total_quality *= s.quality
        replans = sum(max(0, len(r.attempts) - 1) for r in results) if results else 0
        return ToolPathResult(
            steps=steps, total_cost=sum(s.cost for s in steps), total_quality=total_quality,
            score=path.score if path is not None else 0.0, alpha=self.alpha, replans=replans,
        )  # fmt: skip

    async def _execute(self, plan: TaskPlan, request: str, search: PathSearch) -> dict[str, Any]:
        """Every node as a LangGraph task, called in a fixed order, each awaiting only its inputs."""
        loop = asyncio.get_running_loop()
        n = len(plan.task_nodes)
        done: dict[int, asyncio.Future[dict[str, Any]]] = {i: loop.create_future() for i in range(n)}
        deps: dict[int, set[int]] = {i: set() for i in range(n)}
        for s, t in plan.dependencies():
            if s != t:
                deps[t].add(s)
        runner = NodeRunner(
            plan=plan, request=request, registry=self.registry, search=search,
            caller=Caller(self.models["caller"]), policy=self.policy, emit=_emit, approve=interrupt,
        )  # fmt: skip

        @task
        async def run_node(index: int) -> dict[str, Any]:
            upstream = {j: await done[j] for j in sorted(deps[index])}
            failed = [j for j, r in upstream.items() if r["status"] != NodeStatus.OK]
            if failed:
                result = NodeResult(
                    index=index, tool=plan.task_nodes[index].task, status=NodeStatus.SKIPPED,
                    error=f"skipped: upstream node(s) {failed} did not succeed", error_type="Skipped",
                )  # fmt: skip
            else:
                result = await runner.run(index, {j: r["output"] for j, r in upstream.items()})
            # Outputs travel through the checkpoint, so they must be JSON data: anything else
            # (a custom object, bytes) is kept as its string form rather than failing the run.
            result.output = to_jsonable_python(result.output, fallback=str)
            _emit(ev.NodeFinished(result=result))
            return result.model_dump(mode="json")

        futures = [run_node(i) for i in range(n)]

        async def settle(i: int, fut: Any) -> None:
            try:
                value = await fut
            except BaseException as exc:
                done[i].set_exception(exc)
                done[i].exception()  # mark retrieved: the error surfaces through gather below
                raise
            if value["status"] == NodeStatus.OK:
                search.finished[str(i)] = value["tool"]  # a cached result after a resume counts as finished
            done[i].set_result(value)

        await asyncio.gather(*(settle(i, f) for i, f in enumerate(futures)))
        out: dict[str, Any] = {str(i): done[i].result() for i in range(n)}
        out["__caller_usage__"] = runner.caller_usage.model_dump()
        return out


class _Collector:
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


__all__ = ["Agent"]
