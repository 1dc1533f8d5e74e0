"""Runs a plan: every node as arguments task -> approval interrupt -> tool task, recovering per node.

Each plan node is a LangGraph task, called in a fixed order (stable task ids across
resumes); it waits only for its own inputs, so the makespan follows the critical path.
Inside a node, each attempt is two checkpointed tasks:

1. *prepare*: the A* search picks the tool and the caller fills its arguments. Its
   result is saved before any approval is asked, so the arguments a person approves are
   exactly the ones that run, after a resume or a process restart too;
2. an approval interrupt, when the tool (or its predicate on these arguments) asks for one;
3. *invoke*: the tool call with timeout and retries, saved so a resume never repeats it.

Recovery is per node: a failing tool gets one caller retry with the error text, then
reports to the search, which re-plans and offers the next candidate. A node that runs
out of candidates fails alone (it and its dependents leave the search); independent
nodes carry on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal

from langgraph.func import task
from langgraph.types import interrupt
from pydantic import BaseModel, Field

from . import events as ev
from .errors import (
    GrammarConversionError,
    ModelError,
    StructuredOutputError,
    ToolArgumentError,
    ToolExecutionError,
    ToolTimeoutError,
    UnknownToolError,
    UnsolvableError,
)
from .models import Usage
from .plan import TaskPlan
from .problem import step_texts
from .references import coerce_arguments, resolve_references
from .registry import ToolRegistry
from .result import NodeResult, NodeStatus
from .roles import Caller
from .sanitize import bound_text, safe_output
from .search import PathSearch
from .tool import Tool

Emit = Callable[[Any], None]
_ERROR_CHARS = 2000


class ExecutionPolicy(BaseModel):
    """How nodes run: who fills arguments, parallelism, timeouts, retries and approvals."""

    arguments: Literal["caller", "planner"] = Field(
        default="caller",
        description=(
            "'caller': the caller role fills every literal argument of every node from the tool's docs, the "
            "request and upstream outputs (alpha-UMi); the planner's <node-j> data flow is kept, and its "
            "arguments are the fallback when the caller's are invalid. 'planner': the planner's arguments are "
            "used when they validate, and the caller only repairs (one model call fewer per node)."
        ),
    )
    max_concurrency: int = Field(default=4, ge=1)
    node_timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=1, ge=0, description="extra calls of the same tool with the same arguments (idempotent tools only)")
    retry_backoff: float = Field(default=0.2, ge=0)
    caller_retries: int = Field(default=1, ge=0, description="caller re-fills after the tool raised or rejected its arguments")
    max_tools_per_node: int = Field(default=4, ge=1, description="different tools one node may try")
    guard_side_effects: bool = Field(
        default=True,
        description="tools with side effects need approval once untrusted tool output entered the conversation",
    )


class Decision(BaseModel):
    """A person's answer to an approval request: run (as shown, or with edited arguments) or not, and why."""

    approve: bool
    arguments: dict[str, Any] | None = None
    reason: str | None = None

    @classmethod
    def of(cls, value: Any) -> Decision:
        if isinstance(value, Decision):
            return value
        if isinstance(value, dict) and "approve" in value:
            return cls.model_validate(value)
        if isinstance(value, dict):  # edited arguments: approve with these
            return cls(approve=True, arguments=value)
        return cls(approve=bool(value))


class NodeOutcome(BaseModel):
    """What executing a plan produced: node results in plan order, and the caller's usage."""

    results: list[NodeResult]
    caller_usage: Usage = Field(default_factory=Usage)


class PlanExecutor:
    """Executes one plan inside a LangGraph entrypoint, sharing the run's PathSearch between nodes."""

    def __init__(
        self,
        *,
        plan: TaskPlan,
        request: str,
        registry: ToolRegistry,
        search: PathSearch,
        caller: Caller | None,
        policy: ExecutionPolicy,
        emit: Emit,
        untrusted_context: bool = False,
    ):
        self.plan = plan
        self.request = request
        self.registry = registry
        self.search = search
        self.caller = caller
        self.policy = policy
        self.emit = emit
        self.untrusted_context = untrusted_context
        self.steps = step_texts(plan)
        self.caller_usage = Usage()
        self._semaphore = asyncio.Semaphore(policy.max_concurrency)
        self._fillers = _ArgumentFiller(self)

    async def run(self) -> NodeOutcome:
        """Every node as a task, called in a fixed order, each awaiting only its inputs."""
        loop = asyncio.get_running_loop()
        n = len(self.plan.task_nodes)
        done: dict[int, asyncio.Future[dict[str, Any]]] = {i: loop.create_future() for i in range(n)}
        deps: dict[int, set[int]] = {i: set() for i in range(n)}
        for s, t in self.plan.dependencies():
            if s != t:
                deps[t].add(s)

        @task
        async def run_node(index: int) -> dict[str, Any]:
            upstream = {j: await done[j] for j in sorted(deps[index])}
            failed = [j for j, r in upstream.items() if r["status"] != NodeStatus.OK]
            if failed:
                result = NodeResult(
                    index=index, tool=self.plan.task_nodes[index].task, status=NodeStatus.SKIPPED,
                    error=f"skipped: upstream step(s) {[j + 1 for j in failed]} did not succeed", error_type="Skipped",
                )  # fmt: skip
                self.search.abandon(str(index))
            else:
                async with self._semaphore:
                    result = await self._node(index, {j: r["output"] for j, r in upstream.items()})
            if result.status != NodeStatus.OK:  # the node, not just an attempt (NodeFailed), ended without success
                self.emit(ev.NodeGaveUp.of(result))
            self.emit(ev.NodeFinished(result=result))
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
                self.search.finished[str(i)] = value["tool"]  # a cached result after a resume counts as finished
            done[i].set_result(value)

        await asyncio.gather(*(settle(i, f) for i, f in enumerate(futures)))
        results = [NodeResult.model_validate(done[i].result()) for i in range(n)]
        return NodeOutcome(results=results, caller_usage=self.caller_usage)

    # -- one node ----------------------------------------------------------------------

    async def _node(self, index: int, upstream: dict[int, Any]) -> NodeResult:
        """Attempts until one succeeds, the node runs out of tools, or a person rejects the call.

        An attempt of a tool that may need a person runs as two checkpointed tasks around the
        interrupt (the arguments shown are the ones that run, and a resumed run never calls it
        twice); other attempts run inline in the node's own task, which is checkpointed when
        the node ends (two task round-trips fewer per node: ``bench_executor``)."""
        sid = str(index)
        attempts: list[str] = []
        last: tuple[str, str] | None = None  # (error, type) of this node's last failed attempt
        retry: tuple[str, str] | None = None  # (tool, error text) the caller re-fills once

        @task
        async def prepare(attempt: int, tool_name: str, problems: str | None) -> dict[str, Any]:
            """The arguments for one attempt of a gated tool; checkpointed before the approval."""
            return await self._prepare(index, tool_name, upstream, problems)

        @task
        async def invoke(attempt: int, tool_name: str, args: dict[str, Any]) -> dict[str, Any]:
            return await self._invoke(self.registry.get(tool_name), args)

        attempt = 0
        while True:
            if retry is None and len(set(attempts)) >= self.policy.max_tools_per_node:
                return self._failed(index, attempts, last, "no more tools to try")
            chosen = retry[0] if retry else self._choose(sid)
            if chosen is None:
                return self._failed(index, attempts, last, "no executable tool can serve this step")
            gated = self._gated(self.registry.get(chosen))
            problems = retry[1] if retry else None
            prepared = await (prepare(attempt, chosen, problems) if gated else self._prepare(index, chosen, upstream, problems))
            attempt += 1
            tool = self.registry.get(prepared["tool"])  # a resumed run keeps the tool it showed
            attempts.append(tool.name)
            if "error" in prepared:  # no usable arguments: a caller retry would not have more to go on
                outcome: dict[str, Any] = {
                    "error": prepared["error"], "error_type": prepared["error_type"], "kind": "invalid", "unfilled": True,
                }  # fmt: skip
            else:
                args = prepared["arguments"]
                decision = self._approval(index, tool, args) if gated else None
                if decision is not None and not decision.approve:
                    return self._rejected(index, tool, args, attempts, decision)
                if decision is not None and decision.arguments is not None:
                    args = decision.arguments
                self.emit(ev.NodeStarted(index=index, tool=tool.name, arguments=args))
                started = time.perf_counter()
                outcome = await (invoke(attempt, tool.name, args) if gated else self._invoke(tool, args))
                if "output" in outcome:
                    self.search.report_success(sid, tool.name, latency=time.perf_counter() - started)
                    return NodeResult(
                        index=index, tool=tool.name, arguments=args, status=NodeStatus.OK, output=outcome["output"],
                        attempts=attempts, latency_s=outcome.get("latency_s", 0.0), simulated=tool.simulated,
                    )  # fmt: skip
            last = (outcome["error"], outcome["error_type"])
            retry = self._caller_retry(tool, outcome, retry)
            if retry is None:
                self.search.report_failure(sid, tool.name, outcome.get("kind", "error"), latency=outcome.get("latency_s"))
            next_tool = retry[0] if retry else self._choose(sid)
            self.emit(ev.NodeFailed(
                index=index, tool=tool.name, error=outcome["error"], next_tool=next_tool,
                error_type=outcome["error_type"], latency_s=outcome.get("latency_s"),
            ))  # fmt: skip
            if next_tool is None:
                return self._failed(index, attempts, last, "no more tools to try")

    async def _prepare(self, index: int, tool_name: str, upstream: dict[int, Any], problems: str | None) -> dict[str, Any]:
        """The arguments for one attempt of ``tool_name``, as data: arguments, or why there are none."""
        tool = self.registry.get(tool_name)
        try:
            args = await self._fillers.fill(index, tool, upstream, problems)
        except (ToolArgumentError, StructuredOutputError, UnknownToolError) as exc:
            return {"tool": tool_name, "error": bound_text(str(exc), _ERROR_CHARS), "error_type": type(exc).__name__}
        return {"tool": tool_name, "arguments": safe_output(args)}

    def _gated(self, tool: Tool) -> bool:
        """Whether a call of ``tool`` may wait for a person (then its attempt is checkpointed around the wait)."""
        if tool.needs_approval is not False:
            return True
        return self.policy.guard_side_effects and tool.side_effects and self.untrusted_context

    def _choose(self, sid: str) -> str | None:
        """The search's tool for ``sid`` now, or None when this subtask has no candidate left."""
        if sid in self.search.abandoned:  # another node's stuck search gave it up
            return None
        try:
            return self.search.best().assignments[sid].tool
        except UnsolvableError as exc:
            if getattr(exc, "subtask", sid) != sid:  # another subtask is stuck: leave it out, ask again
                self.search.abandon(exc.subtask)  # type: ignore[attr-defined]
                return self._choose(sid)
            self.search.abandon(sid)
            return None

    def _caller_retry(self, tool: Tool, outcome: dict[str, Any], previous: tuple[str, str] | None) -> tuple[str, str] | None:
        """One more try of the same tool with arguments re-filled from the error text, when that is safe."""
        if self.caller is None or self.policy.caller_retries == 0 or previous is not None:
            return None
        if outcome.get("timed_out") or outcome.get("unfilled"):
            return None  # it may still be running: never call it again; or the caller already failed to fill it
        rejected = outcome.get("kind") == "invalid"
        if not rejected and not tool.idempotent:
            return None  # it may have acted before failing
        return (tool.name, f"the last call failed: {outcome['error']}")

    def _approval(self, index: int, tool: Tool, args: dict[str, Any]) -> Decision | None:
        """Ask a person (a LangGraph interrupt) when the tool needs it; None when it does not."""
        why = None
        if tool.needs_approval is not False and tool.approval_needed(args):
            why = "the tool asks for approval"
        elif self.policy.guard_side_effects and tool.side_effects and self.untrusted_context:
            why = "the tool changes the world and the plan was made after untrusted tool output"
        if why is None:
            return None
        step = self.steps[index] if index < len(self.steps) else ""
        decision = Decision.of(interrupt({"index": index, "tool": tool.name, "arguments": args, "step": step, "why": why}))
        if decision.arguments is not None:
            decision = decision.model_copy(update={"arguments": safe_output(tool.validate_arguments(decision.arguments))})
        return decision

    async def _invoke(self, tool: Tool, args: dict[str, Any]) -> dict[str, Any]:
        """The tool call with timeout and retries, as checkpointable data (output or error)."""
        timeout = tool.timeout or self.policy.node_timeout
        retries = self.policy.retries if tool.idempotent else 0
        started = time.perf_counter()
        for attempt in range(retries + 1):
            try:
                output = await asyncio.wait_for(tool.acall(args), timeout)
            except TimeoutError:
                error = ToolTimeoutError(tool.name, timeout)
                return _failure(error, "timeout", started, timed_out=True)  # never retried while it may still run
            except ToolArgumentError as exc:
                return _failure(exc, "invalid", started)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any tool exception becomes a node failure
                last = _failure(ToolExecutionError(tool.name, exc), "error", started)
                if attempt < retries:
                    await asyncio.sleep(self.policy.retry_backoff * (2**attempt))
                    continue
                return last
            return {"output": safe_output(output), "latency_s": time.perf_counter() - started}
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(self, index: int, attempts: list[str], last: tuple[str, str] | None, why: str) -> NodeResult:
        error, error_type = last if last is not None else (why, "UnsolvableError")
        tool = attempts[-1] if attempts else self.plan.task_nodes[index].task
        return NodeResult(index=index, tool=tool, status=NodeStatus.FAILED, attempts=attempts, error=error, error_type=error_type)

    def _rejected(self, index: int, tool: Tool, args: dict[str, Any], attempts: list[str], decision: Decision) -> NodeResult:
        self.search.abandon(str(index))
        reason = f"the call was not approved: {decision.reason}" if decision.reason else "the call was not approved"
        return NodeResult(
            index=index, tool=tool.name, arguments=args, status=NodeStatus.REJECTED, attempts=attempts,
            error=bound_text(reason, 500), error_type="Rejected",
        )  # fmt: skip


def _failure(error: Exception, kind: str, started: float, timed_out: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "error": bound_text(str(error), _ERROR_CHARS), "error_type": type(error).__name__, "kind": kind,
        "latency_s": time.perf_counter() - started,
    }  # fmt: skip
    if timed_out:
        out["timed_out"] = True
    return out


class _ArgumentFiller:
    """A node's arguments for a tool (the planned one or a stand-in), by the policy's ``arguments``.

    'caller': the caller fills the literal arguments, the plan's whole-value references stay;
    if that does not validate, the planner's arguments; then the caller once more, for every
    argument, shown the problems. 'planner': the planner's arguments, then the caller with
    the problems. ``problems`` (a failed call's error) goes straight to the caller.
    """

    def __init__(self, executor: PlanExecutor):
        self.x = executor

    async def fill(self, index: int, tool: Tool, upstream: dict[int, Any], problems: str | None) -> dict[str, Any]:
        x = self.x
        planned_node = x.plan.task_nodes[index]
        planned = planned_node.arguments  # a stand-in tool uses them only if they validate against its schema

        def validated(args: dict[str, Any]) -> dict[str, Any]:
            return tool.validate_arguments(coerce_arguments(tool, resolve_references(args, upstream)))

        if x.caller is None:
            return validated(planned)
        props = tool.parameters.get("properties", {})
        flow = {k: v for k, v in planned.items() if k in props and _is_reference(v)}
        if problems is not None:
            return validated({**flow, **await self._ask(index, tool, planned, upstream, problems, None)})
        error: Exception | None = None
        if x.policy.arguments == "caller":
            to_fill = [name for name in props if name not in flow]
            try:
                args = await self._ask(index, tool, planned, upstream, None, to_fill) if to_fill else {}
                return validated({**flow, **args})
            except (ToolArgumentError, ModelError, GrammarConversionError) as exc:
                error = exc  # unusable arguments, or the caller's model failed: the planner's may still do
        try:
            return validated(planned)
        except ToolArgumentError as exc:
            error = error if tool.name != planned_node.task and error is not None else exc
        if x.policy.arguments == "caller" and not flow and error is not None:
            raise _as_argument_error(tool, error)  # the caller already had every argument to fill
        try:
            args = await self._ask(index, tool, planned, upstream, str(error) if error else None, None)
        except (ModelError, GrammarConversionError) as exc:
            raise _as_argument_error(tool, error or exc) from None
        return validated(args)

    async def _ask(
        self, index: int, tool: Tool, planned: dict[str, Any], upstream: dict[int, Any], problems: str | None,
        to_fill: list[str] | None,
    ) -> dict[str, Any]:  # fmt: skip
        x = self.x
        assert x.caller is not None
        named = {f"<node-{j}> ({x.plan.task_nodes[j].task})": v for j, v in upstream.items()}
        step = x.steps[index] if index < len(x.steps) else tool.name
        try:
            args, usage = await x.caller.call_arguments(
                tool, request=x.request, step=step, planned=planned, upstream=named, problems=problems, fill=to_fill,
                on_token=lambda text: x.emit(ev.TokenGenerated(role="caller", text=text, index=index)),
            )  # fmt: skip
        except StructuredOutputError as exc:
            self._account(exc.usage or Usage())  # the failed attempts still cost tokens
            raise
        except (ModelError, GrammarConversionError):
            raise
        self._account(usage)
        return args

    def _account(self, usage: Usage) -> None:
        x = self.x
        assert x.caller is not None
        x.caller_usage = x.caller_usage + usage
        x.emit(ev.ModelCalled(role="caller", model=x.caller.model.name, usage=usage))


def _is_reference(value: Any) -> bool:
    from .references import is_reference

    return is_reference(value)


def _as_argument_error(tool: Tool, error: Exception) -> Exception:
    """A node-level failure (the search then tries the next tool), never a run-ending model error."""
    if isinstance(error, ToolArgumentError | StructuredOutputError):
        return error
    return ToolArgumentError(tool.name, [("<arguments>", f"the caller could not fill them: {error}")])


__all__ = ["Decision", "ExecutionPolicy", "NodeOutcome", "PlanExecutor"]
