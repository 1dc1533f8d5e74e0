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

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .errors import ConfigError, ToolExecutionError, ToolTimeoutError, UnsolvableError

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


def _check_alpha(alpha: float) -> None:
    if not isinstance(alpha, int | float) or not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ConfigError(f"alpha must be a number in [0, 1], got {alpha!r}")


def _prepare(problem: SearchProblem, alpha: float, fixed: Mapping[str, str] | None,
             stats: ToolStats | None) -> tuple[list[str], list[list[tuple[float, Candidate]]]]:
    """Effective, non-excluded candidates per subtask (in order), sorted by (step, tool)."""
    _check_alpha(alpha)
    fixed = dict(fixed or {})
    order = problem.order()
    by_id = {s.id: s for s in problem.subtasks}
    for sid, tool in fixed.items():
        if sid not in by_id:
            raise ConfigError(f"fixed subtask {sid!r} is not in the problem")
        by_id[sid].candidate(tool)  # raises ConfigError if unknown
    domains: list[list[Candidate]] = []
    max_cost = 0.0  # over every candidate of the problem, so scores stay comparable
    for sid in order:
        cands = by_id[sid].candidates
        if stats is not None:
            cands = [stats.effective(sid, c) for c in cands]
        max_cost = max([max_cost, *(c.cost for c in cands)])
        if sid in fixed:
            cands = [c for c in cands if c.tool == fixed[sid]]
        elif stats is not None:
            cands = [c for c in cands if not stats.excluded(sid, c.tool)]
        domains.append(cands)
    scale = alpha / max_cost if max_cost > 0 else 0.0
    beta = 1.0 - alpha
    sorted_domains = []
    for cands in domains:
        # (step, tool) order; tools are unique per subtask so candidates never compare.
        steps = sorted((c.cost * scale + beta * (1.0 - c.quality), c.tool, c) for c in cands)
        sorted_domains.append([(st, c) for st, _, c in steps])
    return order, sorted_domains


def _unsolvable(problem: SearchProblem, sid: str, why: str) -> UnsolvableError:
    sub = problem.get(sid)
    what = f"serve subtask {sid!r}" + (f" ({sub.description})" if sub.description else "")
    err = UnsolvableError(f"{what}: {why}")
    err.subtask = sid  # type: ignore[attr-defined]
    return err


def heuristic(problem: SearchProblem, remaining: Iterable[str], *, alpha: float = 0.5,
              stats: ToolStats | None = None, fixed: Mapping[str, str] | None = None) -> float:
    """h: sum over ``remaining`` subtasks of their cheapest step (what A* uses)."""
    order, domains = _prepare(problem, alpha, fixed, stats)
    pos = {sid: i for i, sid in enumerate(order)}
    return sum(domains[pos[s]][0][0] if domains[pos[s]] else math.inf for s in remaining)


def _search(problem: SearchProblem, alpha: float, compatible: Compatible | None,
            fixed: Mapping[str, str] | None, stats: ToolStats | None, use_h: bool,
            source_key: SourceKey | None = None) -> ToolPath:
    start = time.perf_counter()
    order, domains = _prepare(problem, alpha, fixed, stats)
    fixed_ids = set(fixed or {})
    n = len(order)
    for sid, dom in zip(order, domains, strict=True):
        if not dom:
            subtask = problem.get(sid)
            why = ("every candidate is excluded after failures" if subtask.candidates
                   else "it has no candidate tools")
            raise _unsolvable(problem, sid, why)

    pos = {sid: i for i, sid in enumerate(order)}
    by_id = {s.id: s for s in problem.subtasks}
    # deps[d]: positions whose tool must feed order[d] (none when there is no predicate
    # or order[d] already ran: its inputs existed).
    deps = [[] if compatible is None or sid in fixed_ids
            else sorted({pos[x] for x in by_id[sid].depends_on}) for sid in order]
    # live[d]: assigned positions (< d) that some unassigned position (>= d) depends on.
    last_use = [-1] * n
    for d in range(n):
        for p in deps[d]:
            last_use[p] = max(last_use[p], d)
    live = [tuple(p for p in range(d) if last_use[p] >= d) for d in range(n + 1)]
    hsum = [0.0] * (n + 1)
    if use_h:
        for d in range(n - 1, -1, -1):
            hsum[d] = hsum[d + 1] + domains[d][0][0]

    tools = [[c.tool for _, c in dom] for dom in domains]
    # sig[d][j]: what a choice at d means for later positions (the tool itself by default).
    sig: list[list[Hashable]] = [[source_key(t) for t in names] for names in tools] if source_key else tools  # type: ignore[assignment]
    # compat[signature][target]: the predicate is called once per (signature, tool) pair at most.
    compat: dict[Hashable, dict[str, bool]] = {}
    # Signatures already pushed among the siblings of one parent: a later sibling with the
    # same signature has the same future at a higher cost, so it is never pushed.
    pushed: dict[tuple[int, tuple[int, ...]], set[Hashable]] = {}
    accepted_at: dict[tuple[int, tuple[Hashable, ...]], list[int]] = {}

    def accepted(d: int, sources: tuple[Hashable, ...], reps: list[str]) -> list[int]:
        """Candidate indices at position d (ascending) that sources of these signatures all feed."""
        key = (d, sources)
        found = accepted_at.get(key)
        if found is None:
            if len(sources) > 1:  # the intersection of what each source feeds
                common = set(accepted(d, sources[:1], reps[:1]))
                for k in range(1, len(sources)):
                    common.intersection_update(accepted(d, sources[k : k + 1], reps[k : k + 1]))
                found = sorted(common)
            else:
                src, row = reps[0], compat.setdefault(sources[0], {})
                found = []
                for j, tgt in enumerate(tools[d]):
                    hit = row.get(tgt)
                    if hit is None:
                        hit = row[tgt] = bool(compatible(src, tgt))  # type: ignore[misc]
                    if hit:
                        found.append(j)
            accepted_at[key] = found
        return found

    def first_from(choices: tuple[int, ...], d: int, j: int) -> int:
        """The first candidate index >= j at position d that every dependency accepts (and is not dominated)."""
        names = tools[d]
        m = len(names)
        if source_key is not None:
            # Few signatures: the accepted candidates per dependency signatures are listed once.
            seen = pushed.get((d, choices[:d]), ())
            if deps[d]:
                found = accepted(d, tuple(sig[p][choices[p]] for p in deps[d]), [tools[p][choices[p]] for p in deps[d]])
                i = bisect.bisect_left(found, j)
            else:
                found, i = range(m), j
            while i < len(found) and sig[d][found[i]] in seen:
                i += 1
            return found[i] if i < len(found) else -1
        rows = []
        for p in deps[d]:
            src = tools[p][choices[p]]
            rows.append((src, compat.setdefault(sig[p][choices[p]], {})))
        while j < m:
            tgt = names[j]
            for src, row in rows:
                hit = row.get(tgt)
                if hit is None:
                    hit = row[tgt] = bool(compatible(src, tgt))  # type: ignore[misc]
                if not hit:
                    break
            else:
                return j
            j += 1
        return -1

    heap: list[tuple[float, int, int, float, tuple[int, ...], int]] = []
    seq = 0
    generated = 0

    # With a source key, h is compatibility-aware: a remaining position some of whose
    # dependencies are assigned can at best take its cheapest step that accepts all their
    # signatures. Still admissible, and consistent: assigning more only raises the bounds,
    # and a chosen step is at least its own bound. h depends on the live signatures only,
    # i.e. on the state key, so the closed set stays exact.
    aware = use_h and source_key is not None and compatible is not None
    h_of: dict[tuple, float] = {}
    blocked = [-1]  # the deepest position h found unservable (dead ends are never pushed)

    def h(depth: int, choices: tuple[int, ...]) -> float:
        if not aware:
            return hsum[depth]
        key = (depth, tuple(sig[p][choices[p]] for p in live[depth]))
        value = h_of.get(key)
        if value is None:
            value = 0.0
            for q in range(depth, n):
                assigned = [p for p in deps[q] if p < depth]
                if assigned:
                    found = accepted(q, tuple(sig[p][choices[p]] for p in assigned), [tools[p][choices[p]] for p in assigned])
                    if not found:
                        blocked[0] = max(blocked[0], q)  # the subtask to name if nothing is found at all
                    value += domains[q][found[0]][0] if found else math.inf
                else:
                    value += domains[q][0][0]
            h_of[key] = value
        return value

    def push(g: float, choices: tuple[int, ...], d: int, j: int) -> None:
        """Push candidate j at position d (or, if it is a dead end, the next live sibling that is not)."""
        nonlocal seq, generated
        while True:
            if source_key is not None:
                pushed.setdefault((d, choices), set()).add(sig[d][j])
            rest = h(d + 1, choices + (j,))
            if rest < math.inf:
                step = domains[d][j][0]
                # Ties: lower f, then deeper (closer to a goal), then first pushed.
                heapq.heappush(heap, (g + step + rest, -(d + 1), seq, g, choices, j))
                seq += 1
                generated += 1
                return
            # A later position accepts none of these tools: skip to a sibling that may differ.
            if d not in live[d + 1]:
                return  # every sibling has the same (infinite) bound
            j = first_from(choices, d, j + 1)
            if j < 0:
                return

    def spawn(g: float, choices: tuple[int, ...], d: int) -> None:
        """Children at position d. Lazily the cheapest first (each pop pushes the next sibling):
        right while f grows with the step. The aware h makes f depend on a live child's
        signature too, so then the cheapest child of every signature is pushed at once."""
        j = first_from(choices, d, 0)
        if j < 0:
            return
        push(g, choices, d, j)
        if aware and d in live[d + 1]:
            while (j := first_from(choices, d, j + 1)) >= 0:
                push(g, choices, d, j)

    lazy = not aware
    closed: set[tuple] = set()
    expansions = 0
    deepest = 0
    if n:
        spawn(0.0, (), 0)
    goal: tuple[float, tuple[int, ...]] | None = (0.0, ()) if n == 0 else None
    while heap and goal is None:
        _, negdepth, _, g, parent, j = heapq.heappop(heap)
        d = -negdepth - 1  # position just assigned
        choices = parent + (j,)
        key = (d + 1, tuple(sig[p][choices[p]] for p in live[d + 1]))
        child_live = d in live[d + 1]
        if lazy and child_live:  # the next sibling; a non-live child's siblings share its key: all dominated
            nj = first_from(parent, d, j + 1)
            if nj >= 0:
                push(g, parent, d, nj)
        if key in closed:
            continue
        closed.add(key)
        expansions += 1
        cg = g + domains[d][j][0]
        deepest = max(deepest, d + 1)
        if d + 1 == n:
            goal = (cg, choices)
            break
        spawn(cg, choices, d + 1)
    if goal is None:
        deepest = max(deepest, blocked[0])
        sid = order[deepest]
        dep_ids = [order[p] for p in deps[deepest]]
        raise _unsolvable(problem, sid, f"no candidate accepts the output of any tool choice "
                                        f"for its dependencies {dep_ids}")
    score, choices = goal
    chosen = {order[d]: domains[d][j][1] for d, j in enumerate(choices)}
    return ToolPath(
        assignments=chosen,
        total_cost=sum(c.cost for c in chosen.values()),
        total_quality=math.prod(c.quality for c in chosen.values()),
        score=score,
        expansions=expansions,
        generated=generated,
        elapsed=time.perf_counter() - start,
    )


def astar(problem: SearchProblem, *, alpha: float = 0.5, compatible: Compatible | None = None,
          fixed: Mapping[str, str] | None = None, stats: ToolStats | None = None,
          source_key: SourceKey | None = None) -> ToolPath:
    """The optimal tool path (minimum g) under ``compatible`` on every dependency edge.

    ``fixed`` maps finished subtask ids to the tool that ran (kept, still counted in
    g, edges into them not re-checked); ``stats`` supplies effective cost/quality and
    exclusions; ``source_key`` (see :data:`SourceKey`) merges states whose tools feed
    alike. Raises UnsolvableError naming the subtask no tool choice can serve.
    """
    return _search(problem, alpha, compatible, fixed, stats, use_h=True, source_key=source_key)


def uniform_cost(problem: SearchProblem, *, alpha: float = 0.5,
                 compatible: Compatible | None = None, fixed: Mapping[str, str] | None = None,
                 stats: ToolStats | None = None, source_key: SourceKey | None = None) -> ToolPath:
    """The same search with h = 0 (Dijkstra); the baseline of the benchmark."""
    return _search(problem, alpha, compatible, fixed, stats, use_h=False, source_key=source_key)


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
        _check_alpha(alpha)
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


__all__ = [
    "SourceKey",
    "Candidate",
    "Subtask",
    "SearchProblem",
    "ToolRecord",
    "ToolStats",
    "ToolPath",
    "PathSearch",
    "astar",
    "uniform_cost",
    "heuristic",
]
