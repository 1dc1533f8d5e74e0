"""The A* engine: one search over prepared candidate domains, and the ``astar``/``uniform_cost`` entry points."""

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections.abc import Hashable, Iterable, Mapping
from typing import cast

from ..errors import ConfigError, UnsolvableError
from .problem import Candidate, Compatible, SearchProblem, SourceKey, ToolPath, check_alpha, unsolvable
from .stats import ToolStats


def prepare(problem: SearchProblem, alpha: float, fixed: Mapping[str, str] | None,
             stats: ToolStats | None) -> tuple[list[str], list[list[tuple[float, Candidate]]]]:
    """Effective, non-excluded candidates per subtask (in order), sorted by (step, tool)."""
    check_alpha(alpha)
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


def heuristic(problem: SearchProblem, remaining: Iterable[str], *, alpha: float = 0.5,
              stats: ToolStats | None = None, fixed: Mapping[str, str] | None = None) -> float:
    """h: sum over ``remaining`` subtasks of their cheapest step (what A* uses)."""
    order, domains = prepare(problem, alpha, fixed, stats)
    pos = {sid: i for i, sid in enumerate(order)}
    return sum(domains[pos[s]][0][0] if domains[pos[s]] else math.inf for s in remaining)


Choices = tuple[int, ...]
# A frontier entry: (f, -depth, push order, g of the parent, the parent's choices, candidate index).
Entry = tuple[float, int, int, float, Choices, int]


class _AStar:
    """One search over prepared domains; each step of the algorithm is a method.

    Positions are subtasks in topological order; a state is the tuple of candidate
    indices chosen for the first positions (its key: depth and the signatures of the
    assigned positions that later ones still depend on). The caches below are shared
    by the steps for the lifetime of one search only.
    """

    def __init__(self, problem: SearchProblem, alpha: float, compatible: Compatible | None,
                 fixed: Mapping[str, str] | None, stats: ToolStats | None, use_h: bool,
                 source_key: SourceKey | None):
        self.started = time.perf_counter()
        self.problem = problem
        self.order, self.domains = prepare(problem, alpha, fixed, stats)
        self.n = len(self.order)
        self.compatible = compatible
        self.source_key = source_key
        self._check_servable()
        self._index_dependencies(set(fixed or {}))
        self.hsum = self._static_bounds(use_h)
        self.tools = [[c.tool for _, c in dom] for dom in self.domains]
        # sig[d][j]: what a choice at d means for later positions (the tool itself by default).
        self.sig: list[list[Hashable]] = (
            [[source_key(t) for t in names] for names in self.tools] if source_key else cast("list[list[Hashable]]", self.tools)
        )
        # compat[signature][target]: the predicate is called once per (signature, tool) pair at most.
        self.compat: dict[Hashable, dict[str, bool]] = {}
        # Signatures already pushed among the siblings of one parent: a later sibling with the
        # same signature has the same future at a higher cost, so it is never pushed.
        self.pushed: dict[tuple[int, Choices], set[Hashable]] = {}
        self.accepted_at: dict[tuple[int, tuple[Hashable, ...]], list[int]] = {}
        # With a source key, h is compatibility-aware: a remaining position some of whose
        # dependencies are assigned can at best take its cheapest step that accepts all their
        # signatures. Still admissible, and consistent: assigning more only raises the bounds,
        # and a chosen step is at least its own bound. h depends on the live signatures only,
        # i.e. on the state key, so the closed set stays exact.
        self.aware = use_h and source_key is not None and compatible is not None
        self.h_of: dict[tuple[int, tuple[Hashable, ...]], float] = {}
        self.blocked = -1  # the deepest position h found unservable (dead ends are never pushed)
        self.heap: list[Entry] = []
        self.seq = 0
        self.generated = 0
        self.expansions = 0
        self.deepest = 0

    def _check_servable(self) -> None:
        """Every subtask needs at least one candidate left."""
        for sid, dom in zip(self.order, self.domains, strict=True):
            if not dom:
                why = ("every candidate is excluded after failures" if self.problem.get(sid).candidates
                       else "it has no candidate tools")
                raise unsolvable(self.problem, sid, why)

    def _index_dependencies(self, fixed_ids: set[str]) -> None:
        """deps[d]: positions whose tool must feed position d (none without a predicate, or when
        d already ran: its inputs existed); live[d]: assigned positions (< d) still depended on."""
        pos = {sid: i for i, sid in enumerate(self.order)}
        by_id = {s.id: s for s in self.problem.subtasks}
        n = self.n
        self.deps = [[] if self.compatible is None or sid in fixed_ids
                     else sorted({pos[x] for x in by_id[sid].depends_on}) for sid in self.order]
        last_use = [-1] * n
        for d in range(n):
            for p in self.deps[d]:
                last_use[p] = max(last_use[p], d)
        self.live = [tuple(p for p in range(d) if last_use[p] >= d) for d in range(n + 1)]

    def _static_bounds(self, use_h: bool) -> list[float]:
        """hsum[d]: the sum of the cheapest steps from position d on (all zero for uniform cost)."""
        hsum = [0.0] * (self.n + 1)
        if use_h:
            for d in range(self.n - 1, -1, -1):
                hsum[d] = hsum[d + 1] + self.domains[d][0][0]
        return hsum

    def accepted(self, d: int, sources: tuple[Hashable, ...], reps: list[str]) -> list[int]:
        """Candidate indices at position d (ascending) that sources of these signatures all feed."""
        key = (d, sources)
        found = self.accepted_at.get(key)
        if found is None:
            if len(sources) > 1:  # the intersection of what each source feeds
                common = set(self.accepted(d, sources[:1], reps[:1]))
                for k in range(1, len(sources)):
                    common.intersection_update(self.accepted(d, sources[k : k + 1], reps[k : k + 1]))
                found = sorted(common)
            else:
                compatible = self.compatible
                src, row = reps[0], self.compat.setdefault(sources[0], {})
                found = []
                for j, tgt in enumerate(self.tools[d]):
                    hit = row.get(tgt)
                    if hit is None:
                        hit = row[tgt] = bool(compatible(src, tgt))  # type: ignore[misc]
                    if hit:
                        found.append(j)
            self.accepted_at[key] = found
        return found

    def first_from(self, choices: Choices, d: int, j: int) -> int:
        """The first candidate index >= j at position d that every dependency accepts (and is not dominated)."""
        tools, sig, deps = self.tools, self.sig, self.deps[d]
        if self.source_key is not None:
            # Few signatures: the accepted candidates per dependency signatures are listed once.
            seen = self.pushed.get((d, choices[:d]), ())
            found: list[int] | range
            if deps:
                found = self.accepted(d, tuple(sig[p][choices[p]] for p in deps), [tools[p][choices[p]] for p in deps])
                i = bisect.bisect_left(found, j)
            else:
                found, i = range(len(tools[d])), j
            sig_d = sig[d]
            while i < len(found) and sig_d[found[i]] in seen:
                i += 1
            return found[i] if i < len(found) else -1
        # Without a key: test each candidate against each dependency's tool (answers cached per pair).
        names, compatible, compat = tools[d], self.compatible, self.compat
        rows = [(tools[p][choices[p]], compat.setdefault(sig[p][choices[p]], {})) for p in deps]
        for k in range(j, len(names)):
            tgt = names[k]
            for src, row in rows:
                hit = row.get(tgt)
                if hit is None:
                    hit = row[tgt] = bool(compatible(src, tgt))  # type: ignore[misc]
                if not hit:
                    break
            else:
                return k
        return -1

    def h(self, depth: int, choices: Choices) -> float:
        """The lower bound on the rest of the path from ``depth`` on, given the choices so far."""
        if not self.aware:
            return self.hsum[depth]
        return self._aware_h(depth, choices)

    def _aware_h(self, depth: int, choices: Choices) -> float:
        sig, tools, domains, deps = self.sig, self.tools, self.domains, self.deps
        key = (depth, tuple(sig[p][choices[p]] for p in self.live[depth]))
        value = self.h_of.get(key)
        if value is None:
            value = 0.0
            for q in range(depth, self.n):
                assigned = [p for p in deps[q] if p < depth]
                if assigned:
                    found = self.accepted(q, tuple(sig[p][choices[p]] for p in assigned), [tools[p][choices[p]] for p in assigned])
                    if not found:
                        self.blocked = max(self.blocked, q)  # the subtask to name if nothing is found at all
                    value += domains[q][found[0]][0] if found else math.inf
                else:
                    value += domains[q][0][0]
            self.h_of[key] = value
        return value

    def push(self, g: float, choices: Choices, d: int, j: int) -> None:
        """Push candidate j at position d (or, if it is a dead end, the next live sibling that is not)."""
        keyed, aware, hsum = self.source_key is not None, self.aware, self.hsum
        while True:
            if keyed:
                self.pushed.setdefault((d, choices), set()).add(self.sig[d][j])
            rest = self._aware_h(d + 1, (*choices, j)) if aware else hsum[d + 1]
            if rest < math.inf:
                # Ties: lower f, then deeper (closer to a goal), then first pushed.
                heapq.heappush(self.heap, (g + self.domains[d][j][0] + rest, -(d + 1), self.seq, g, choices, j))
                self.seq += 1
                self.generated += 1
                return
            # A later position accepts none of these tools: skip to a sibling that may differ.
            if d not in self.live[d + 1]:
                return  # every sibling has the same (infinite) bound
            j = self.first_from(choices, d, j + 1)
            if j < 0:
                return

    def spawn(self, g: float, choices: Choices, d: int) -> None:
        """Children at position d. Lazily the cheapest first (each pop pushes the next sibling):
        right while f grows with the step. The aware h makes f depend on a live child's
        signature too, so then the cheapest child of every signature is pushed at once."""
        j = self.first_from(choices, d, 0)
        if j < 0:
            return
        self.push(g, choices, d, j)
        if self.aware and d in self.live[d + 1]:
            while (j := self.first_from(choices, d, j + 1)) >= 0:
                self.push(g, choices, d, j)

    def expand(self) -> tuple[float, Choices] | None:
        """Pop states until a goal (the optimal complete path, with its g); None if the frontier empties."""
        if self.n == 0:
            return 0.0, ()
        lazy, sig, live, closed = not self.aware, self.sig, self.live, set[tuple[int, tuple[Hashable, ...]]]()
        self.spawn(0.0, (), 0)
        while self.heap:
            _, negdepth, _, g, parent, j = heapq.heappop(self.heap)
            d = -negdepth - 1  # position just assigned
            choices = (*parent, j)
            if lazy and d in live[d + 1]:  # the next sibling; a non-live child's siblings share its key: all dominated
                nj = self.first_from(parent, d, j + 1)
                if nj >= 0:
                    self.push(g, parent, d, nj)
            key = (d + 1, tuple(sig[p][choices[p]] for p in live[d + 1]))
            if key in closed:
                continue
            closed.add(key)
            self.expansions += 1
            cg = g + self.domains[d][j][0]
            self.deepest = max(self.deepest, d + 1)
            if d + 1 == self.n:
                return cg, choices
            self.spawn(cg, choices, d + 1)
        return None

    def stuck(self) -> UnsolvableError:
        """The error naming the deepest subtask no tool choice could serve."""
        deepest = max(self.deepest, self.blocked)
        dep_ids = [self.order[p] for p in self.deps[deepest]]
        return unsolvable(self.problem, self.order[deepest],
                          f"no candidate accepts the output of any tool choice for its dependencies {dep_ids}")

    def run(self) -> ToolPath:
        goal = self.expand()
        if goal is None:
            raise self.stuck()
        score, choices = goal
        chosen = {self.order[d]: self.domains[d][j][1] for d, j in enumerate(choices)}
        return ToolPath(
            assignments=chosen,
            total_cost=sum(c.cost for c in chosen.values()),
            total_quality=math.prod(c.quality for c in chosen.values()),
            score=score,
            expansions=self.expansions,
            generated=self.generated,
            elapsed=time.perf_counter() - self.started,
        )


def _search(problem: SearchProblem, alpha: float, compatible: Compatible | None,
            fixed: Mapping[str, str] | None, stats: ToolStats | None, use_h: bool,
            source_key: SourceKey | None = None) -> ToolPath:
    return _AStar(problem, alpha, compatible, fixed, stats, use_h, source_key).run()


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



__all__ = ["astar", "heuristic", "prepare", "uniform_cost"]
