"""A*-style tool-path search over a plan DAG (after CoSTA*, arXiv 2503.10613).

A plan is a DAG of subtasks; each subtask has candidate tools with a cost (user
unit) and a quality (0..1). The search picks one tool per subtask minimising

    f = g + h,   step(t, s) = alpha * cost / max_cost + (1 - alpha) * (1 - quality)

where g sums the steps of assigned subtasks and h sums, over the unassigned
ones, the cheapest step each could take. h ignores compatibility, so it never
overestimates (admissible) and drops by at most the step just taken
(consistent): the first goal popped is optimal, and a closed set is safe.

Why a real search and not a per-subtask argmin: ``compatible(source, target)``
must hold on every dependency edge, so a cheap tool early can force expensive
ones later. The state key is (depth, tools of assigned subtasks that unassigned
subtasks still depend on): two partial paths with the same key have the same
futures, so only the cheaper one is kept (graph search, not tree search; a chain
is at most ``depth x tools`` states, and without compatibility just ``depth``).

Children are generated lazily in step order (one sibling pushed per pop), so an
expansion costs O(log n) instead of pushing every candidate.

Failures feed :class:`ToolStats` (Beta-posterior quality, EMA cost, exclusion
after ``max_failures``); :class:`PathSearch` re-plans from the failure with the
finished subtasks fixed.
"""

from .astar import astar, heuristic, uniform_cost
from .problem import Candidate, Compatible, FailureKind, SearchProblem, SourceKey, Subtask, ToolPath
from .replan import PathSearch
from .stats import ToolRecord, ToolStats

__all__ = [
    "Candidate",
    "Compatible",
    "FailureKind",
    "PathSearch",
    "SearchProblem",
    "SourceKey",
    "Subtask",
    "ToolPath",
    "ToolRecord",
    "ToolStats",
    "astar",
    "heuristic",
    "uniform_cost",
]
