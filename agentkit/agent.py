"""The Agent: the wiring of retrieve -> plan -> choose a tool path (A*) -> execute -> summarise.

The run itself is a LangGraph entrypoint (:mod:`agentkit.workflow`); executing a plan
is :mod:`agentkit.executor`'s; the search problem is built by :mod:`agentkit.problem`;
approvals and checkpoints by :mod:`agentkit.approvals`. The Agent holds the
configuration and drives runs: streaming, resuming, approving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from . import events as ev
from . import telemetry
from .approvals import Approvals, checked, finished_result, open_sqlite_saver
from .errors import ConfigError, ModelError, PlanError, RunCancelledError
from .examples import ExamplesSpec, build_bank, learn_from
from .executor import Decision, ExecutionPolicy
from .models import ChatModel, load_model
from .planners import Planner
from .problem import CandidatePolicy, ProblemBuilder
from .registry import ToolRegistry
from .result import RetrievedTool, RunResult, RunStatus
from .retrieval import Retriever, build_retriever
from .search import ToolStats
from .sources import LoadedTools, ToolSource, load_tools
from .toolgraph import ToolGraph
from .typed_output import OutputSpec, OutputType
from .workflow import Conversation, PartialResult, Turn, build_workflow, request_of

DEFAULT_MODEL = "llamacpp:default"


class Agent:
    """An agent over a pool of tools, each role bound to its own model.

    >>> agent = Agent(tools=registry, planner="llamacpp:default", summarizer="openai:gpt-4o-mini")
    >>> result = await agent.run("...")        # or agent.run_sync(...), or: async for e in agent.stream(...)

    The Agent holds configuration only. A conversation's history lives with its
    ``thread_id`` (in the checkpointer) or is passed per call, never here, so one Agent
    serves many users at once.
    """

    def __init__(
        self,
        tools: ToolRegistry | Iterable[ToolSource] | LoadedTools,
        *,
        model: str | ChatModel = DEFAULT_MODEL,
        planner: str | ChatModel | None = None,
        caller: str | ChatModel | None = None,
        summarizer: str | ChatModel | None = None,
        strategy: str | Planner = "one-shot",
        retriever: str | Retriever | None = "hybrid",
        top_k: int = 8,
        alpha: float = 0.5,
        policy: ExecutionPolicy | None = None,
        links: Iterable[tuple[str, str]] = (),
        checkpoint: str | Path | BaseCheckpointSaver | None = None,
        substitutes: int = 2,
        substitute_trust: float = 0.8,
        fallbacks: int = 2,
        experience: ToolStats | None = None,
        output_type: OutputType | None = None,
        examples: ExamplesSpec = None,
        learn: bool = False,
    ):
        from .planners import get_planner

        if isinstance(tools, ToolRegistry):
            self.registry = tools
        else:  # packs, files, folders, MCP configs, LangChain tools, Tools: whatever load_tools takes
            loaded = load_tools(tools)
            self.registry, links = loaded.registry, [*loaded.links, *links]
        if len(self.registry) == 0:
            raise ConfigError("an agent needs at least one tool")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"alpha must be in [0, 1], got {alpha}")
        try:
            self.candidates = CandidatePolicy(substitutes=substitutes, substitute_trust=substitute_trust, fallbacks=fallbacks)
        except ValueError as exc:
            raise ConfigError(f"substitutes/fallbacks must be >= 0 and substitute_trust in [0, 1]: {exc}") from None
        self.graph = ToolGraph(self.registry, links)
        cache: dict[str, ChatModel] = {}

        def bind(spec: str | ChatModel | None) -> ChatModel:
            spec = model if spec is None else spec
            if not isinstance(spec, str):
                return spec
            if spec not in cache:
                cache[spec] = load_model(spec)
            return cache[spec]

        self.models: dict[str, ChatModel] = {"planner": bind(planner), "caller": bind(caller), "summarizer": bind(summarizer)}
        self.strategy: Planner = get_planner(strategy) if isinstance(strategy, str) else strategy
        # Solved requests: the planner adapts the nearest, the caller sees how they filled a tool;
        # learn=True adds the plans of runs that fully worked (agentkit.examples).
        self.examples, self.learn = build_bank(examples, self.registry, learn=learn), learn
        if self.examples is not None and strategy == "one-shot":
            self.strategy = get_planner("one-shot", examples=self.examples)
        self.retriever: Retriever | None = build_retriever(retriever, list(self.registry)) if isinstance(retriever, str) else retriever
        self.top_k = top_k
        self.alpha = alpha
        # What runs observed per (planned tool, tool): later runs' priors start from it.
        self.experience = experience if experience is not None else ToolStats()
        self.policy = policy or ExecutionPolicy()
        self._checkpoint = checkpoint
        self._memory = InMemorySaver()
        # The answer as the user's type (a pydantic model or JSON Schema); a schema llama.cpp cannot decode is a ConfigError now.
        self.output: OutputSpec | None = OutputSpec(output_type) if output_type is not None else None

    @property
    def substitutes(self) -> int:
        return self.candidates.substitutes

    @property
    def substitute_trust(self) -> float:
        return self.candidates.substitute_trust

    # -- public API ------------------------------------------------------------------

    async def run(self, request: str, *, thread_id: str | None = None, history: Sequence[Turn] | None = None) -> RunResult:
        """Answer ``request``; see :meth:`stream` for the events on the way."""
        return await _last_result(self.stream(request, thread_id=thread_id, history=history))

    def run_sync(self, request: str, *, thread_id: str | None = None, history: Sequence[Turn] | None = None) -> RunResult:
        """Blocking :meth:`run`, for scripts and notebooks without an event loop."""
        return asyncio.run(self.run(request, thread_id=thread_id, history=history))

    async def stream(
        self, request: str, *, thread_id: str | None = None, history: Sequence[Turn] | None = None
    ) -> AsyncIterator[ev.Event]:
        """Run ``request``, yielding typed events; the last one is :class:`~agentkit.events.Finished`.

        ``history``: the conversation so far (its turns); without it, the conversation of
        ``thread_id`` (earlier runs on the same thread), or none for a new thread.
        """
        payload: dict[str, Any] = {"request": request}
        if history is not None:
            payload["conversation"] = Conversation(turns=list(history)).model_dump()
        thread_id = thread_id or uuid.uuid4().hex
        async for event in telemetry.instrument(self._drive(payload, thread_id), thread_id=thread_id, request=request):
            yield event

    async def resume(
        self, thread_id: str, *, approve: bool | dict[str, Any] | None = None, reason: str | None = None,
        decisions: Mapping[str | int, bool | dict[str, Any] | Decision] | None = None,
    ) -> RunResult:  # fmt: skip
        """Continue a run that is waiting for approval, failed or was killed, without redoing finished work.

        ``approve``: True runs every pending call as shown, False rejects them (``reason``
        reaches the summarizer), a dict runs the one pending call with these edited
        arguments (validated against the tool's schema first). ``decisions`` decides
        pending calls one by one, keyed by interrupt id or node index.
        """
        return await _last_result(self.stream_resume(thread_id, approve=approve, reason=reason, decisions=decisions))

    async def stream_resume(
        self, thread_id: str, *, approve: bool | dict[str, Any] | None = None, reason: str | None = None,
        decisions: Mapping[str | int, bool | dict[str, Any] | Decision] | None = None,
    ) -> AsyncIterator[ev.Event]:  # fmt: skip
        async for event in telemetry.instrument(self._drive(None, thread_id, Approvals(approve, reason, decisions)), thread_id=thread_id):
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

    def problem_builder(self) -> ProblemBuilder:
        return ProblemBuilder(
            self.registry, self.graph, retriever=self.retriever, experience=self.experience, policy=self.candidates,
            alpha=self.alpha,
        )  # fmt: skip

    def retrieve(self, request: str) -> list[RetrievedTool]:
        """The tools shown to the planner for ``request`` (all of them, ranked, when the pool is small)."""
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

    # -- LangGraph plumbing ------------------------------------------------------------

    @asynccontextmanager
    async def _saver(self) -> AsyncIterator[BaseCheckpointSaver]:
        if self._checkpoint is None:
            yield self._memory
        elif isinstance(self._checkpoint, BaseCheckpointSaver):
            yield self._checkpoint
        else:
            async with open_sqlite_saver(self._checkpoint) as saver:
                yield saver

    async def _drive(self, payload: dict[str, Any] | None, thread_id: str, approvals: Approvals | None = None) -> AsyncIterator[ev.Event]:
        config: Any = {"configurable": {"thread_id": thread_id}}
        async with self._saver() as saver:
            flow = build_workflow(self, saver)
            value: Any = payload
            if payload is None:
                state = await checked(flow.aget_state(config))
                finished = finished_result(state, thread_id)
                if finished is not None:
                    yield ev.Finished(result=self._typed(finished))
                    return
                value = (approvals or Approvals()).command(list(state.interrupts or ()), self.registry)
            collected = PartialResult(payload["request"] if payload else request_of(state))
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
                state = await checked(flow.aget_state(config))
                result = collected.result(thread_id, RunStatus.INTERRUPTED)
                result.pending_approvals = [{"id": i.id, **i.value} for i in state.interrupts or ()]
                result.pending_approval = result.pending_approvals[0] if result.pending_approvals else None
                for pending in result.pending_approvals:
                    yield ev.ApprovalRequested.model_validate(pending)
            else:
                result = self._typed(RunResult.model_validate(final))
                result.thread_id = thread_id
                if self.learn:
                    learn_from(self.examples, result)
            yield ev.Finished(result=result)

    def _typed(self, result: RunResult) -> RunResult:
        """``result.output`` (JSON data, as checkpointed) as the output type: a model instance for a pydantic model."""
        if self.output is not None and result.output is not None:
            result.output = self.output.parse(result.output)
        return result


async def _last_result(events: AsyncIterator[ev.Event]) -> RunResult:
    result: RunResult | None = None
    async for event in events:
        if isinstance(event, ev.Finished):
            result = event.result
    assert result is not None
    return result


__all__ = ["Agent"]
