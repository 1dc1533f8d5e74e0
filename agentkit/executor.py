"""Runs one plan node: resolve references, fill arguments, approve, call with timeout and retry, recover.

Recovery is the A* search's: a failed tool updates its cost/quality for that
subtask, the :class:`~agentkit.search.PathSearch` re-plans the unfinished part, and
the node tries the next-best tool (arguments re-filled by the caller for it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

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
from .plan import NODE_REF, TaskPlan
from .planning import coerce_value, is_reference
from .registry import ToolRegistry
from .result import NodeResult, NodeStatus
from .roles import Caller, short
from .search import PathSearch
from .tool import Tool


class ExecutionPolicy(BaseModel):
    """How nodes run: who fills arguments, parallelism, per-node timeout and retries of the same tool."""

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
    retries: int = Field(default=1, ge=0, description="extra attempts of the same tool before switching")
    retry_backoff: float = Field(default=0.2, ge=0)


def resolve_references(value: Any, outputs: dict[int, Any]) -> Any:
    """Replace ``<node-j>`` with node j's output: the object itself when the value is only the reference."""
    if isinstance(value, str):
        whole = NODE_REF.fullmatch(value.strip())
        if whole and int(whole.group(1)) in outputs:
            return outputs[int(whole.group(1))]
        return NODE_REF.sub(lambda m: short(outputs.get(int(m.group(1)), m.group(0)), 500), value)
    if isinstance(value, dict):
        return {k: resolve_references(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, outputs) for v in value]
    return value


def _coerce(tool: Tool, args: dict[str, Any]) -> dict[str, Any]:
    """Model strings to the parameter's type, and upstream objects to text where a string is expected."""
    props = tool.parameters.get("properties", {})
    out = {}
    for name, value in args.items():
        prop = props.get(name, {})
        if prop.get("type") == "string" and not isinstance(value, str):
            value = value["value"] if isinstance(value, dict) and isinstance(value.get("value"), str) else short(value, 4000)
        out[name] = coerce_value(value, prop)
    return out


class NodeRunner:
    """Executes nodes of one plan, sharing the run's PathSearch between them."""

    def __init__(
        self,
        *,
        plan: TaskPlan,
        request: str,
        registry: ToolRegistry,
        search: PathSearch,
        caller: Caller | None,
        policy: ExecutionPolicy,
        emit: Callable[[Any], None],
        approve: Callable[[dict[str, Any]], Any],
    ):
        self.plan = plan
        self.request = request
        self.registry = registry
        self.search = search
        self.caller = caller
        self.policy = policy
        self.emit = emit
        self.approve = approve
        self.caller_usage = Usage()
        self._semaphore = asyncio.Semaphore(policy.max_concurrency)

    async def run(self, index: int, upstream: dict[int, Any]) -> NodeResult:
        from .events import NodeFailed, NodeStarted

        planned = self.plan.task_nodes[index]
        step = self.plan.task_steps[index] if index < len(self.plan.task_steps) else planned.task
        attempts: list[str] = []
        sid = str(index)
        async with self._semaphore:
            while True:
                try:
                    tool_name = self.search.best().assignments[sid].tool
                except UnsolvableError as exc:
                    last = attempts[-1] if attempts else planned.task
                    return NodeResult(
                        index=index, tool=last, status=NodeStatus.FAILED, attempts=attempts,
                        error=getattr(self, "_last_error", str(exc)), error_type=getattr(self, "_last_type", "UnsolvableError"),
                    )  # fmt: skip
                attempts.append(tool_name)
                tool = self.registry.get(tool_name)
                started = time.perf_counter()
                try:
                    args = await self._arguments(index, tool, planned.task, planned.arguments, upstream, step)
                    if tool.needs_approval:
                        decision = self.approve({"index": index, "tool": tool.name, "arguments": args})
                        if not _approved(decision):
                            return NodeResult(
                                index=index, tool=tool.name, arguments=args, status=NodeStatus.REJECTED,
                                attempts=attempts, error="the call was not approved", error_type="Rejected",
                            )  # fmt: skip
                    self.emit(NodeStarted(index=index, tool=tool.name, arguments=_jsonable(args)))
                    output = await self._call(tool, args)
                except (ToolExecutionError, ToolTimeoutError, ToolArgumentError, UnknownToolError, StructuredOutputError) as exc:
                    latency = time.perf_counter() - started
                    self._last_error, self._last_type = str(exc), type(exc).__name__
                    kind = "invalid" if isinstance(exc, ToolArgumentError | StructuredOutputError) else exc
                    self.search.report_failure(sid, tool.name, kind, latency=latency)
                    try:
                        next_tool: str | None = self.search.best().assignments[sid].tool
                    except UnsolvableError:
                        next_tool = None
                    self.emit(NodeFailed(index=index, tool=tool.name, error=str(exc), next_tool=next_tool))
                    if next_tool is None:
                        return NodeResult(
                            index=index, tool=tool.name, status=NodeStatus.FAILED, attempts=attempts,
                            error=str(exc), error_type=type(exc).__name__, latency_s=latency,
                        )  # fmt: skip
                    continue
                latency = time.perf_counter() - started
                self.search.report_success(sid, tool.name, latency=latency)
                return NodeResult(
                    index=index, tool=tool.name, arguments=_jsonable(args), status=NodeStatus.OK,
                    output=output, attempts=attempts, latency_s=latency, simulated=tool.simulated,
                )  # fmt: skip

    async def _arguments(
        self, index: int, tool: Tool, planned_tool: str, planned: dict[str, Any], upstream: dict[int, Any], step: str
    ) -> dict[str, Any]:
        """The node's arguments for ``tool`` (the planned tool or a substitute), by the policy's ``arguments``.

        'caller': the caller fills the literal arguments, the plan's whole-value references
        stay; if that does not validate, the planner's arguments; then the caller once more,
        for every argument, shown the problems. 'planner': the planner's arguments, then
        the caller with the problems.
        """

        def validated(args: dict[str, Any]) -> dict[str, Any]:
            return tool.validate_arguments(_coerce(tool, resolve_references(args, upstream)))

        if self.caller is None:
            return validated(planned)
        props = tool.parameters.get("properties", {})
        flow = {k: v for k, v in planned.items() if k in props and is_reference(v)}
        error: Exception | None = None
        if self.policy.arguments == "caller":
            to_fill = [name for name in props if name not in flow]
            try:
                args = await self._call_caller(index, tool, planned, upstream, step, None, to_fill) if to_fill else {}
                return validated({**flow, **args})
            except (ToolArgumentError, ModelError, GrammarConversionError) as exc:
                error = exc  # unusable arguments, or the caller's model failed: the planner's may still do
        try:
            return validated(planned)
        except ToolArgumentError as exc:
            error = error if tool.name != planned_tool else exc
        if self.policy.arguments == "caller" and not flow and error is not None:
            raise _as_argument_error(tool, error)  # the caller already had every argument to fill
        problems = str(error) if error is not None else None
        try:
            args = await self._call_caller(index, tool, planned, upstream, step, problems, None)
        except (ModelError, GrammarConversionError) as exc:
            raise _as_argument_error(tool, error or exc) from None
        return validated(args)

    async def _call_caller(
        self, index: int, tool: Tool, planned: dict[str, Any], upstream: dict[int, Any], step: str,
        problems: str | None, to_fill: list[str] | None,
    ) -> dict[str, Any]:  # fmt: skip
        from .events import TokenGenerated

        assert self.caller is not None
        named = {f"<node-{j}> ({self.plan.task_nodes[j].task})": v for j, v in upstream.items()}
        try:
            args, usage = await self.caller.call_arguments(
                tool, request=self.request, step=step, planned=planned, upstream=named, problems=problems, fill=to_fill,
                on_token=lambda text: self.emit(TokenGenerated(role="caller", text=text, index=index)),
            )  # fmt: skip
        except StructuredOutputError as exc:
            self._account(exc.usage or Usage())  # the failed attempts still cost tokens
            raise
        self._account(usage)
        return args

    def _account(self, usage: Usage) -> None:
        from .events import ModelCalled

        assert self.caller is not None
        self.caller_usage = self.caller_usage + usage
        self.emit(ModelCalled(role="caller", model=self.caller.model.name, usage=usage))

    async def _call(self, tool: Tool, args: dict[str, Any]) -> Any:
        timeout = tool.timeout or self.policy.node_timeout
        for attempt in range(self.policy.retries + 1):
            try:
                return await asyncio.wait_for(tool.acall(args), timeout)
            except TimeoutError:
                error: Exception = ToolTimeoutError(tool.name, timeout)
            except (ToolArgumentError, asyncio.CancelledError):
                raise
            except Exception as exc:  # noqa: BLE001 - any tool exception becomes a typed error
                error = ToolExecutionError(tool.name, exc)
            if attempt < self.policy.retries:
                await asyncio.sleep(self.policy.retry_backoff * (2**attempt))
        raise error


def _as_argument_error(tool: Tool, error: Exception) -> Exception:
    """A node-level failure (the search then tries the next tool), never a run-ending model error."""
    if isinstance(error, ToolArgumentError | StructuredOutputError):
        return error
    return ToolArgumentError(tool.name, [("<arguments>", f"the caller could not fill them: {error}")])


def _approved(decision: Any) -> bool:
    if isinstance(decision, dict):
        return bool(decision.get("approve", decision.get("approved", False)))
    return bool(decision)


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | type(None) | list | dict) else short(v) for k, v in args.items()}



__all__ = ["ExecutionPolicy", "NodeRunner", "resolve_references"]
