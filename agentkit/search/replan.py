"""PathSearch: the stateful search of one run (plan, observe, re-plan from the failure)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigError, ToolExecutionError, ToolTimeoutError
from .astar import astar
from .problem import Candidate, Compatible, FailureKind, SearchProblem, SourceKey, ToolPath, check_alpha
from .stats import ToolStats


def _failure_kind(kind: FailureKind | BaseException) -> str:
    if isinstance(kind, BaseException):
        if isinstance(kind, ToolTimeoutError | TimeoutError):
            return "timeout"
        if isinstance(kind, ToolExecutionError):
            return "error"
        return "invalid" if isinstance(kind, ValueError) else "error"
    if kind not in ("error", "timeout", "invalid"):
        raise ConfigError(f"failure kind must be 'error', 'timeout' or 'invalid', got {kind!r}")
    return kind


class PathSearch:
    """Stateful search for one run: plan, observe, re-plan from the failure.

    Finished subtasks keep their tool; a failure updates the stats (and, after
    ``stats.max_failures``, excludes the tool there) and the next :meth:`best`
    re-plans only what is left.
    """

    def __init__(self, problem: SearchProblem, *, alpha: float = 0.5,
                 compatible: Compatible | None = None, stats: ToolStats | None = None,
                 memory: ToolStats | None = None, kinds: Mapping[str, str] | None = None,
                 source_key: SourceKey | None = None):
        """``memory`` outlives the run: every observation is also recorded there, under the
        subtask's kind (``kinds[subtask]``, e.g. the planned tool), so later runs start
        from what this one saw. Exclusion after a failure stays within the run."""
        check_alpha(alpha)
        self.problem = problem
        self.alpha = alpha
        self.compatible = compatible
        self.stats = stats if stats is not None else ToolStats()
        self.memory = memory
        self.kinds = dict(kinds or {})
        self.source_key = source_key
        self.finished: dict[str, str] = {}
        self.abandoned: set[str] = set()
        self._path: ToolPath | None = None
        # The priors never change, so their largest cost (the normalisation scale) is computed once.
        self._max_prior_cost = max((c.cost for st in problem.subtasks for c in st.candidates), default=0.0)

    def best(self) -> ToolPath:
        """The current best path (re-planned if something changed since)."""
        return self._path if self._path is not None else self.replan()

    def replan(self) -> ToolPath:
        """A* over the unfinished subtasks with the finished ones fixed (abandoned ones left out)."""
        problem = self.problem
        if self.abandoned:
            kept = [s for s in self.problem.subtasks if s.id not in self.abandoned]
            problem = SearchProblem(subtasks=[
                s.model_copy(update={"depends_on": [d for d in s.depends_on if d not in self.abandoned]}) for s in kept
            ])
        fixed = {k: v for k, v in self.finished.items() if k not in self.abandoned}
        self._path = astar(problem, alpha=self.alpha, compatible=self.compatible,
                           fixed=fixed, stats=self.stats, source_key=self.source_key)
        return self._path

    def abandon(self, subtask: str) -> None:
        """Give up on ``subtask`` (it ran out of candidates): it and every subtask that depends on it
        leave the search, so the independent subtasks keep being planned and served."""
        children: dict[str, list[str]] = {}
        for s in self.problem.subtasks:
            for d in s.depends_on:
                children.setdefault(d, []).append(s.id)
        stack = [subtask]
        while stack:
            sid = stack.pop()
            if sid not in self.abandoned:
                self.abandoned.add(sid)
                stack.extend(children.get(sid, []))
        self._path = None

    def _prior(self, subtask: str, tool: str) -> Candidate:
        return self.problem.get(subtask).candidate(tool)

    def report_success(self, subtask: str, tool: str, latency: float | None = None) -> None:
        """Record a good run (success raises quality, latency moves cost); the subtask is finished."""
        prior = self._prior(subtask, tool)
        self.stats.record(subtask, tool, success=True, latency=latency, prior_cost=prior.cost)
        if self.memory is not None:
            self.memory.record(self.kinds.get(subtask, subtask), tool, success=True, latency=latency, prior_cost=prior.cost)
        self.finished[subtask] = tool
        # A success on the planned tool leaves the other choices as they were, so the path is
        # kept (re-planning after every node would make a long chain quadratic). Only a
        # different tool, or a latency that moved the cost scale, triggers a re-plan.
        path = self._path
        if path is None or path.assignments.get(subtask, None) is None or path.assignments[subtask].tool != tool:
            self._path = None
        elif latency is not None and latency > self._max_prior_cost:
            self._path = None

    def report_failure(self, subtask: str, tool: str,
                       kind: FailureKind | BaseException = "error",
                       latency: float | None = None) -> None:
        """Record a failed run (exception, timeout, invalid output); the next best() avoids it."""
        prior = self._prior(subtask, tool)
        self.stats.record(subtask, tool, success=False, latency=latency,
                          kind=_failure_kind(kind), prior_cost=prior.cost)
        if self.memory is not None:
            self.memory.record(self.kinds.get(subtask, subtask), tool, success=False, latency=latency,
                               kind=_failure_kind(kind), prior_cost=prior.cost)
        if self.finished.get(subtask) == tool:
            del self.finished[subtask]  # its output turned out bad
        self._path = None

    def mark_finished(self, subtask: str, tool: str | None = None) -> None:
        """Fix ``subtask`` to ``tool`` (default: the tool of the current best path)."""
        tool = tool if tool is not None else self.best().assignments[subtask].tool
        self._prior(subtask, tool)  # validates
        self.finished[subtask] = tool
        self._path = None



__all__ = ["PathSearch"]
