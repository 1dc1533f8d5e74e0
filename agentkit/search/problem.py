"""The search's input and output: subtasks with candidate tools, and the chosen path."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ..errors import ConfigError, UnsolvableError

Compatible = Callable[[str, str], bool]
# A tool's "feeding signature": compatible(a, b) must depend on a only through source_key(a)
# (e.g. its output types). Tools with one signature are interchangeable for what follows,
# so the search keeps one state per signature instead of one per tool.
SourceKey = Callable[[str], Hashable]
FailureKind = Literal["error", "timeout", "invalid"]


class Candidate(BaseModel):
    """A tool that could serve a subtask, with its (prior or effective) cost and quality."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    tool: str = Field(min_length=1)
    cost: float = Field(default=1.0, ge=0.0)
    quality: float = Field(default=0.8, ge=0.0, le=1.0)


class Subtask(BaseModel):
    """One node of the plan DAG."""

    id: str = Field(min_length=1)
    description: str = ""
    depends_on: list[str] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)

    def candidate(self, tool: str) -> Candidate:
        for c in self.candidates:
            if c.tool == tool:
                return c
        raise ConfigError(f"tool {tool!r} is not a candidate of subtask {self.id!r}")


class SearchProblem(BaseModel):
    """The subtasks of a plan. Validated on construction: every problem is listed in one ValidationError.

    A malformed problem is a programming error of whoever built it (agentkit builds it from
    an already validated plan), so it is a ``ValueError`` (pydantic's ``ValidationError``),
    not a :class:`~agentkit.errors.PlanError` about a model's plan.
    """

    subtasks: list[Subtask]
    _order: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> SearchProblem:
        problems: list[str] = []
        ids = [s.id for s in self.subtasks]
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                problems.append(f"duplicate subtask id {i!r}")
            seen.add(i)
        for s in self.subtasks:
            for d in s.depends_on:
                if d not in seen:
                    problems.append(f"subtask {s.id!r} depends on unknown subtask {d!r}")
            tools = [c.tool for c in s.candidates]
            if len(set(tools)) != len(tools):
                problems.append(f"subtask {s.id!r} lists a candidate tool twice")
        if not problems:
            try:
                self._order = _topological(self.subtasks)
            except _Cycle as cyc:
                problems.append(f"cyclic dependencies among subtasks {cyc.members}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def order(self) -> list[str]:
        """Subtask ids in a topological order (the given order where it already is one)."""
        return list(self._order)

    def get(self, subtask_id: str) -> Subtask:
        for s in self.subtasks:
            if s.id == subtask_id:
                return s
        raise ConfigError(f"unknown subtask {subtask_id!r}")


class _Cycle(Exception):
    def __init__(self, members: list[str]):
        self.members = members


def _topological(subtasks: list[Subtask]) -> list[str]:
    """Kahn's algorithm, preferring the given order, so a valid input order is kept as is."""
    pending = {s.id: set(s.depends_on) for s in subtasks}
    order: list[str] = []
    while pending:
        ready = [s.id for s in subtasks if s.id in pending and not pending[s.id]]
        if not ready:
            raise _Cycle(sorted(pending))
        first = ready[0]
        order.append(first)
        del pending[first]
        for deps in pending.values():
            deps.discard(first)
    return order


class ToolPath(BaseModel):
    """The chosen tool per subtask (effective values) and how the search got there."""

    assignments: dict[str, Candidate]
    total_cost: float  # sum of costs, user unit
    total_quality: float  # product of qualities: chance every step is good
    score: float  # g of the complete path, the minimised objective
    expansions: int  # states closed
    generated: int  # heap pushes
    elapsed: float  # seconds, preprocessing included

    def tools(self) -> dict[str, str]:
        return {k: c.tool for k, c in self.assignments.items()}


def check_alpha(alpha: float) -> None:
    if not isinstance(alpha, int | float) or not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ConfigError(f"alpha must be a number in [0, 1], got {alpha!r}")


def unsolvable(problem: SearchProblem, sid: str, why: str) -> UnsolvableError:
    sub = problem.get(sid)
    what = f"serve subtask {sid!r}" + (f" ({sub.description})" if sub.description else "")
    err = UnsolvableError(f"{what}: {why}")
    err.subtask = sid  # type: ignore[attr-defined]
    return err


__all__ = [
    "Candidate", "Compatible", "FailureKind", "SearchProblem", "SourceKey", "Subtask", "ToolPath", "check_alpha", "unsolvable",
]  # fmt: skip
