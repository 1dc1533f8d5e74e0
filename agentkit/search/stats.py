"""What runs observed per (subtask, tool), turning candidate priors into effective values."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from ..errors import ConfigError
from .problem import Candidate


class ToolRecord(BaseModel):
    """What was observed for one (subtask, tool) pair."""

    successes: int = 0
    failures: int = 0
    cost: float | None = None  # EMA of observed latency; None until one is seen
    last_failure: str | None = None


class ToolStats(BaseModel):
    """Observations per (subtask, tool) that turn candidate priors into effective values.

    Quality is the mean of a Beta posterior whose prior is the candidate's quality
    worth ``prior_strength`` pseudo-runs, so one failure of a 0.9 tool drops it to
    0.6 while a long track record moves slowly. Cost is an EMA (weight ``ema``)
    of observed latencies, starting from the prior, so a slow tool gets dearer.
    A tool that failed ``max_failures`` times on a subtask is excluded there.
    """

    prior_strength: float = Field(default=2.0, gt=0)
    ema: float = Field(default=0.3, gt=0, le=1)
    max_failures: int = Field(default=1, ge=1)
    records: dict[str, dict[str, ToolRecord]] = Field(default_factory=dict)

    def record(self, subtask: str, tool: str, *, success: bool, latency: float | None = None,
               kind: str | None = None, prior_cost: float = 0.0) -> ToolRecord:
        """Add one observation; ``latency`` (in the cost unit) moves the cost EMA."""
        if latency is not None and (latency < 0 or not math.isfinite(latency)):
            raise ConfigError(f"latency must be a finite number >= 0, got {latency!r}")
        rec = self.records.setdefault(subtask, {}).setdefault(tool, ToolRecord())
        if success:
            rec.successes += 1
        else:
            rec.failures += 1
            rec.last_failure = kind
        if latency is not None:
            base = prior_cost if rec.cost is None else rec.cost
            rec.cost = (1 - self.ema) * base + self.ema * latency
        return rec

    def effective(self, subtask: str, candidate: Candidate) -> Candidate:
        """The candidate with cost and quality updated from the observations."""
        rec = self.records.get(subtask, {}).get(candidate.tool)
        if rec is None:
            return candidate
        n0 = self.prior_strength
        quality = (candidate.quality * n0 + rec.successes) / (n0 + rec.successes + rec.failures)
        cost = candidate.cost if rec.cost is None else rec.cost
        return Candidate(tool=candidate.tool, cost=cost, quality=quality)

    def excluded(self, subtask: str, tool: str) -> bool:
        rec = self.records.get(subtask, {}).get(tool)
        return rec is not None and rec.failures >= self.max_failures



__all__ = ["ToolRecord", "ToolStats"]
