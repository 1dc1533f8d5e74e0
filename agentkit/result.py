"""Typed results of a run: one object per stage."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from .models.base import Usage
from .plan import TaskPlan


class NodeStatus(StrEnum):
    """How one plan node ended.

    A request is judged unsolvable before anything runs (:attr:`RunStatus.UNSOLVABLE`); a node
    whose tools all failed while running is FAILED (``error_type`` says why).
    """

    OK = "ok"
    FAILED = "failed"
    REJECTED = "rejected"  # approval refused
    SKIPPED = "skipped"  # an upstream node failed


class RunStatus(StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some nodes failed or were skipped
    UNSOLVABLE = "unsolvable"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # waiting for an approval


class RetrievedTool(BaseModel):
    name: str
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None


class PathStep(BaseModel):
    """The tool chosen for one plan node, with its cost and quality."""

    node: int
    planned_tool: str
    tool: str
    cost: float
    quality: float


class ToolPathResult(BaseModel):
    steps: list[PathStep] = Field(default_factory=list)
    total_cost: float = 0.0
    total_quality: float = 1.0
    score: float = 0.0
    alpha: float = 0.5
    replans: int = 0


class NodeResult(BaseModel):
    index: int
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    status: NodeStatus
    output: Any = None
    error: str | None = None
    error_type: str | None = None
    attempts: list[str] = Field(default_factory=list)  # tools tried, in order
    latency_s: float = 0.0
    simulated: bool = False


class RunResult(BaseModel):
    """Everything a run produced; partial results stay here when something fails."""

    request: str
    status: RunStatus
    retrieved: list[RetrievedTool] = Field(default_factory=list)
    plan: TaskPlan | None = None
    path: ToolPathResult | None = None
    nodes: list[NodeResult] = Field(default_factory=list)
    answer: str = ""
    unsolvable: str | None = None
    error: str | None = None
    usage: dict[str, Usage] = Field(default_factory=dict)
    thread_id: str | None = None
    pending_approval: dict[str, Any] | None = None  # the first pending approval (see pending_approvals)
    pending_approvals: list[dict[str, Any]] = Field(
        default_factory=list, description="every call waiting for a decision: interrupt id, node index, tool, arguments, why"
    )
    grounded: bool = Field(
        default=True, description="False when the model's answer stated what no tool returned and was replaced by a plain one"
    )
    ungrounded: list[str] = Field(default_factory=list, description="what the replaced answer stated without evidence")
    answer_by_model: bool = Field(default=False, description="the summarizer wrote the answer (else it was built from the outputs)")
    output: Any = Field(default=None, description="with Agent(output_type=...): the answer as that type (JSON data in a dump)")
    output_error: str | None = Field(default=None, description="with an output_type: why the run has no output")

    @property
    def total_usage(self) -> Usage:
        total = Usage()
        for u in self.usage.values():
            total = total + u
        return total


__all__ = ["NodeResult", "NodeStatus", "PathStep", "RetrievedTool", "RunResult", "RunStatus", "ToolPathResult"]
