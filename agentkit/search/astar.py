"""The A* engine: one search over prepared candidate domains, and the ``astar``/``uniform_cost`` entry points."""

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections.abc import Hashable, Iterable, Mapping

from ..errors import ConfigError
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


def _search(problem: SearchProblem, alpha: float, compatible: Compatible | None,
            fixed: Mapping[str, str] | None, stats: ToolStats | None, use_h: bool,
            source_key: SourceKey | None = None) -> ToolPath:
    start = time.perf_counter()
    order, domains = prepare(problem, alpha, fixed, stats)
    fixed_ids = set(fixed or {})
    n = len(order)
    for sid, dom in zip(order, domains, strict=True):
        if not dom:
            subtask = problem.get(sid)
            why = ("every candidate is excluded after failures" if subtask.candidates
                   else "it has no candidate tools")
            raise unsolvable(problem, sid, why)

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
        raise unsolvable(problem, sid, f"no candidate accepts the output of any tool choice "
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



__all__ = ["astar", "heuristic", "prepare", "uniform_cost"]
