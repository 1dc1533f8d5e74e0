"""Events streamed while a run progresses (``async for event in agent.stream(...)``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from .models.base import Usage
from .plan import TaskPlan
from .result import NodeResult, NodeStatus, RetrievedTool, RunResult, ToolPathResult


class Retrieved(BaseModel):
    kind: Literal["retrieved"] = "retrieved"
    tools: list[RetrievedTool]
    note: str | None = None  # e.g. "dense index ... building in the background: BM25 only until it is ready"


class Planned(BaseModel):
    kind: Literal["planned"] = "planned"
    plan: TaskPlan
    attempts: int = 1


class PathChosen(BaseModel):
    kind: Literal["path_chosen"] = "path_chosen"
    path: ToolPathResult


class NodeStarted(BaseModel):
    kind: Literal["node_started"] = "node_started"
    index: int
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class NodeFinished(BaseModel):
    kind: Literal["node_finished"] = "node_finished"
    result: NodeResult


class NodeFailed(BaseModel):
    """One attempt at a node failed; ``next_tool`` is the recovery the search chose (None: none left).

    The node may still succeed with the next tool: :class:`NodeGaveUp` says when it did not.
    """

    kind: Literal["node_failed"] = "node_failed"
    index: int
    tool: str
    error: str
    next_tool: str | None = None
    error_type: str | None = None  # the error's class name, e.g. ToolExecutionError (tracing's error.type)
    latency_s: float | None = None  # the attempt's time so far (tracing starts its span that long before the event)


class NodeGaveUp(BaseModel):
    """A node ended without success, after its last attempt: failed, rejected or skipped.

    Emitted once per such node, right before its :class:`NodeFinished`; ``attempts`` are
    the tools tried, in order (each failure was a :class:`NodeFailed`).
    """

    kind: Literal["node_gave_up"] = "node_gave_up"
    index: int
    tool: str
    status: NodeStatus
    error: str
    error_type: str | None = None
    attempts: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, result: NodeResult) -> NodeGaveUp:
        return cls(
            index=result.index, tool=result.tool, status=result.status, error=result.error or "",
            error_type=result.error_type, attempts=list(result.attempts),
        )  # fmt: skip


class ApprovalRequested(BaseModel):
    """A call waits for a person: exactly these arguments run if it is approved."""

    kind: Literal["approval_requested"] = "approval_requested"
    id: str | None = None  # the interrupt id, to decide this call alone (Agent.resume(decisions={id: ...}))
    index: int
    tool: str
    arguments: dict[str, Any]
    step: str = ""
    why: str = ""


class TokenGenerated(BaseModel):
    """A piece of text a role's model just generated (raw, as streamed: plans and arguments are JSON).

    ``index`` is the plan node a caller works for. Pieces arrive before the role's
    ``ModelCalled``; a repair round streams again from the start of its answer.
    """

    kind: Literal["token"] = "token"
    role: str
    text: str
    index: int | None = None


class ModelCalled(BaseModel):
    """One role's model call finished: its token and latency usage."""

    kind: Literal["model_called"] = "model_called"
    role: str
    model: str
    usage: Usage


class Finished(BaseModel):
    kind: Literal["finished"] = "finished"
    result: RunResult


Event = Annotated[
    Retrieved | Planned | PathChosen | NodeStarted | NodeFinished | NodeFailed | NodeGaveUp | ApprovalRequested | TokenGenerated | ModelCalled | Finished,
    Field(discriminator="kind"),
]

__all__ = [
    "ApprovalRequested",
    "Event",
    "Finished",
    "ModelCalled",
    "NodeFailed",
    "NodeFinished",
    "NodeGaveUp",
    "NodeStarted",
    "PathChosen",
    "Planned",
    "Retrieved",
    "TokenGenerated",
]
