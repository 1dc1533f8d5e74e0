"""A* tool-path search: optimality against brute force, heuristic properties, recovery, errors."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from pydantic import ValidationError

from agentkit.errors import ConfigError, UnsolvableError
from agentkit.search import (
    Candidate,
    PathSearch,
    SearchProblem,
    Subtask,
    ToolStats,
    astar,
    heuristic,
    uniform_cost,
)

ALPHAS = (0.0, 0.5, 1.0)


# ---------------------------------------------------------------- helpers


def random_problem(rng: random.Random, n_max: int = 5, k_max: int = 4) -> SearchProblem:
    n = rng.randint(1, n_max)
    pool = [f"t{i}" for i in range(6)]
    subtasks = []
    for i in range(n):
        deps = [f"s{j}" for j in range(i) if rng.random() < 0.5]
        tools = rng.sample(pool, rng.randint(1, k_max))
        cands = [
            Candidate(tool=t, cost=rng.choice([0.0, 1.0, 2.5, rng.uniform(0, 10)]),
                      quality=rng.choice([0.5, 1.0, rng.random()]))
            for t in tools
        ]
        subtasks.append(Subtask(id=f"s{i}", description=f"step {i}", depends_on=deps,
                                candidates=cands))
    return SearchProblem(subtasks=subtasks)


def random_compat(rng: random.Random, p: float):
    pool = [f"t{i}" for i in range(6)]
    allowed = {(a, b) for a in pool for b in pool if rng.random() < p}
    return lambda a, b: (a, b) in allowed


def steps(problem: SearchProblem, alpha: float, stats: ToolStats | None = None):
    """Independent step-cost table {subtask: {tool: step}} and effective candidates."""
    eff = {s.id: {c.tool: (stats.effective(s.id, c) if stats else c) for c in s.candidates}
           for s in problem.subtasks}
    mx = max((c.cost for d in eff.values() for c in d.values()), default=0.0)
    return {
        sid: {t: alpha * (c.cost / mx if mx > 0 else 0.0) + (1 - alpha) * (1 - c.quality)
              for t, c in d.items()}
        for sid, d in eff.items()
    }


def brute_force(problem, alpha, compatible=None, fixed=None, stats=None):
    """(best score, assignment) by enumerating every combination, or (inf, None)."""
    fixed = fixed or {}
    table = steps(problem, alpha, stats)
    ids = [s.id for s in problem.subtasks]
    domains = []
    for s in problem.subtasks:
        if s.id in fixed:
            domains.append([fixed[s.id]])
        else:
            domains.append([c.tool for c in s.candidates
                            if not (stats and stats.excluded(s.id, c.tool))])
    best, arg = math.inf, None
    for combo in itertools.product(*domains):
        a = dict(zip(ids, combo, strict=True))
        if compatible is not None and not all(
            compatible(a[d], a[s.id]) for s in problem.subtasks if s.id not in fixed
            for d in s.depends_on
        ):
            continue
        score = sum(table[sid][t] for sid, t in a.items())
        if score < best - 1e-12:
            best, arg = score, a
    return best, arg


def feasible(problem, compatible):
    """Every complete assignment that satisfies ``compatible`` on all edges."""
    ids = [s.id for s in problem.subtasks]
    out = []
    for combo in itertools.product(*[[c.tool for c in s.candidates] for s in problem.subtasks]):
        a = dict(zip(ids, combo, strict=True))
        if all(compatible(a[d], a[s.id]) for s in problem.subtasks for d in s.depends_on):
            out.append(a)
    return out


def score_of(problem, alpha, tools, stats=None):
    table = steps(problem, alpha, stats)
    return sum(table[sid][t] for sid, t in tools.items())


def chain(*cands_per_step: list[tuple[str, float, float]], desc: str = "") -> SearchProblem:
    subtasks = []
    for i, cands in enumerate(cands_per_step):
        subtasks.append(Subtask(
            id=f"s{i}", description=desc or f"step {i}",
            depends_on=[f"s{i - 1}"] if i else [],
            candidates=[Candidate(tool=t, cost=c, quality=q) for t, c, q in cands],
        ))
    return SearchProblem(subtasks=subtasks)


# ---------------------------------------------------------------- optimality


@pytest.mark.parametrize("alpha", ALPHAS)
def test_astar_equals_brute_force_on_random_instances(alpha):
    rng = random.Random(1234 + int(alpha * 10))
    solved = unsolved = 0
    for _ in range(150):
        problem = random_problem(rng)
        compat = random_compat(rng, rng.choice([0.3, 0.6, 1.0])) if rng.random() < 0.8 else None
        best, _ = brute_force(problem, alpha, compat)
        if math.isinf(best):
            with pytest.raises(UnsolvableError):
                astar(problem, alpha=alpha, compatible=compat)
            unsolved += 1
            continue
        path = astar(problem, alpha=alpha, compatible=compat)
        assert path.score == pytest.approx(best, abs=1e-9)
        assert score_of(problem, alpha, path.tools()) == pytest.approx(best, abs=1e-9)
        if compat:
            assert all(compat(path.tools()[d], path.tools()[s.id])
                       for s in problem.subtasks for d in s.depends_on)
        solved += 1
    assert solved > 50 and unsolved > 5  # both branches exercised


def random_typed_compat(rng: random.Random, n_types: int):
    """Compatibility by resource type (as in a ToolGraph): a feeds b iff a's output type is b's input type."""
    io = {f"t{i}": (rng.randrange(n_types), rng.randrange(n_types)) for i in range(6)}
    return (lambda a, b: io[a][1] == io[b][0]), (lambda a: io[a][1])


@pytest.mark.parametrize("alpha", ALPHAS)
def test_astar_with_a_source_key_equals_brute_force(alpha):
    rng = random.Random(99 + int(alpha * 10))
    solved = 0
    for _ in range(150):
        problem = random_problem(rng)
        compat, key = random_typed_compat(rng, rng.choice([1, 2, 3]))
        best, _ = brute_force(problem, alpha, compat)
        if math.isinf(best):
            with pytest.raises(UnsolvableError):
                astar(problem, alpha=alpha, compatible=compat, source_key=key)
            continue
        path = astar(problem, alpha=alpha, compatible=compat, source_key=key)
        assert path.score == pytest.approx(best, abs=1e-9)
        assert all(compat(path.tools()[d], path.tools()[s.id]) for s in problem.subtasks for d in s.depends_on)
        solved += 1
    assert solved > 50


def test_keyed_astar_is_optimal_on_larger_typed_dags():
    # Many tools per signature, so the signature-aware h and sibling order really matter.
    rng = random.Random(2024)
    for trial in range(12):
        tools = [f"t{k}" for k in range(60)]
        io = {t: (rng.randrange(4), rng.randrange(4)) for t in tools}
        problem = SearchProblem(subtasks=[
            Subtask(id=f"s{i}", depends_on=sorted({f"s{j}" for j in range(i) if rng.random() < 0.4}),
                    candidates=[Candidate(tool=t, cost=rng.uniform(0, 5), quality=rng.random()) for t in tools])
            for i in range(6)
        ])  # fmt: skip

        def compat(a, b):
            return io[a][1] == io[b][0]

        exact = uniform_cost(problem, compatible=compat)  # no key, no h: the plain reference
        keyed = astar(problem, compatible=compat, source_key=lambda t: io[t][1])
        assert keyed.score == pytest.approx(exact.score, abs=1e-9), trial


def test_a_source_key_merges_states_of_tools_that_feed_alike():
    rng = random.Random(5)
    problem = SearchProblem(subtasks=[
        Subtask(id=f"s{i}", depends_on=[f"s{j}" for j in range(i) if j >= i - 2],
                candidates=[Candidate(tool=f"t{k}", cost=rng.uniform(0, 5), quality=rng.random()) for k in range(40)])
        for i in range(5)
    ])  # fmt: skip
    def compat(a, b):
        return int(a[1:]) % 3 == int(b[1:]) % 2

    plain = astar(problem, compatible=compat)
    keyed = astar(problem, compatible=compat, source_key=lambda t: int(t[1:]) % 3)
    assert keyed.score == pytest.approx(plain.score) and keyed.expansions < plain.expansions


def test_uniform_cost_agrees_with_astar_and_expands_at_least_as_much():
    rng = random.Random(7)
    for _ in range(100):
        problem = random_problem(rng)
        compat = random_compat(rng, 0.5)
        try:
            a = astar(problem, alpha=0.5, compatible=compat)
        except UnsolvableError:
            with pytest.raises(UnsolvableError):
                uniform_cost(problem, alpha=0.5, compatible=compat)
            continue
        u = uniform_cost(problem, alpha=0.5, compatible=compat)
        assert u.score == pytest.approx(a.score, abs=1e-9)
        assert u.expansions >= a.expansions


def test_fixed_subtasks_keep_their_tool_and_rest_is_optimal():
    rng = random.Random(99)
    checked = 0
    for _ in range(150):
        problem = random_problem(rng)
        compat = random_compat(rng, 0.6)
        _, full = brute_force(problem, 0.5, compat)
        if full is None:
            continue
        k = rng.randint(0, len(problem.subtasks))
        fixed = {s.id: full[s.id] for s in problem.subtasks[:k]}
        best, _ = brute_force(problem, 0.5, compat, fixed=fixed)
        path = astar(problem, alpha=0.5, compatible=compat, fixed=fixed)
        assert {sid: path.tools()[sid] for sid in fixed} == fixed
        assert path.score == pytest.approx(best, abs=1e-9)
        checked += 1
    assert checked > 50


def test_path_totals_are_sum_of_costs_and_product_of_qualities():
    problem = chain([("a", 2.0, 0.5)], [("b", 3.0, 0.8)])
    path = astar(problem)
    assert path.total_cost == pytest.approx(5.0)
    assert path.total_quality == pytest.approx(0.4)
    assert list(path.assignments) == ["s0", "s1"]


def test_deep_chain_has_no_recursion_problem_and_is_deterministic():
    n = 60
    problem = chain(*[[(f"t{j}", 1.0, 0.5) for j in range(5)] for _ in range(n)])
    compat = lambda a, b: a != b  # noqa: E731 - forces alternation along the chain
    first = astar(problem, compatible=compat)
    again = astar(problem, compatible=compat)
    assert first.tools() == again.tools()
    # equal steps everywhere: ties break by tool name, so the path alternates t0, t1
    assert [first.tools()[f"s{i}"] for i in range(4)] == ["t0", "t1", "t0", "t1"]


def test_input_order_need_not_be_topological():
    problem = SearchProblem(subtasks=[
        Subtask(id="b", depends_on=["a"], candidates=[Candidate(tool="y")]),
        Subtask(id="a", candidates=[Candidate(tool="x")]),
    ])
    assert problem.order() == ["a", "b"]
    assert astar(problem).tools() == {"a": "x", "b": "y"}


# ---------------------------------------------------------------- heuristic


def test_heuristic_is_admissible_on_random_states():
    rng = random.Random(5)
    checked = 0
    for _ in range(200):
        problem = random_problem(rng)
        compat = random_compat(rng, 0.6)
        alpha = rng.choice(ALPHAS)
        solutions = feasible(problem, compat)
        if not solutions:
            continue
        state = rng.choice(solutions)  # any reachable prefix of a complete path
        order = problem.order()
        k = rng.randint(0, len(order))
        fixed = {sid: state[sid] for sid in order[:k]}
        best, _ = brute_force(problem, alpha, compat, fixed=fixed)
        true_rest = best - score_of(problem, alpha, fixed)
        assert heuristic(problem, order[k:], alpha=alpha) <= true_rest + 1e-12
        checked += 1
    assert checked > 80


def test_heuristic_is_consistent():
    rng = random.Random(6)
    for _ in range(200):
        problem = random_problem(rng)
        alpha = rng.choice(ALPHAS)
        table = steps(problem, alpha)
        order = problem.order()
        for d in range(len(order)):
            h_here = heuristic(problem, order[d:], alpha=alpha)
            h_next = heuristic(problem, order[d + 1:], alpha=alpha)
            for tool, step in table[order[d]].items():
                assert h_here <= step + h_next + 1e-12, (tool, d)
        assert heuristic(problem, [], alpha=alpha) == 0.0


# ---------------------------------------------------------------- recovery


def three_step_problem() -> SearchProblem:
    return chain(
        [("fast", 1.0, 0.9), ("slow", 5.0, 0.9)],
        [("good", 1.0, 0.95), ("ok", 1.0, 0.8), ("meh", 2.0, 0.6)],
        [("x", 1.0, 0.9), ("y", 3.0, 0.9)],
    )


def test_failure_excludes_the_failed_tool_in_the_next_path():
    search = PathSearch(three_step_problem(), alpha=0.5)
    assert search.best().tools()["s1"] == "good"
    search.report_failure("s1", "good", "timeout")
    assert search.replan().tools()["s1"] == "ok"


def test_failure_keeps_finished_subtasks_fixed():
    problem = three_step_problem()
    search = PathSearch(problem, alpha=0.5)
    search.report_success("s0", "fast", latency=50.0)  # now far dearer than "slow"
    search.report_failure("s1", "good", "error")
    path = search.replan()
    assert path.tools()["s0"] == "fast"
    assert path.tools()["s1"] == "ok"


def test_replan_returns_the_next_best_path():
    rng = random.Random(11)
    checked = 0
    for _ in range(120):
        problem = random_problem(rng)
        compat = random_compat(rng, 0.7)
        search = PathSearch(problem, alpha=0.5, compatible=compat)
        try:
            path = search.best()
        except UnsolvableError:
            continue
        order = problem.order()
        k = rng.randrange(len(order))
        for sid in order[:k]:
            search.mark_finished(sid, path.tools()[sid])
        failing = order[k]
        search.report_failure(failing, path.tools()[failing], "invalid")
        fixed = {sid: path.tools()[sid] for sid in order[:k]}
        best, _ = brute_force(problem, 0.5, compat, fixed=fixed, stats=search.stats)
        if math.isinf(best):
            with pytest.raises(UnsolvableError):
                search.replan()
            continue
        new = search.replan()
        assert new.tools()[failing] != path.tools()[failing]
        assert all(new.tools()[s] == t for s, t in fixed.items())
        assert new.score == pytest.approx(best, abs=1e-9)
        checked += 1
    assert checked > 30


def test_one_failure_lowers_quality_before_exclusion():
    problem = three_step_problem()
    stats = ToolStats(max_failures=2)
    search = PathSearch(problem, stats=stats)
    search.report_failure("s1", "good", ValueError("bad output"))
    eff = stats.effective("s1", problem.get("s1").candidate("good"))
    assert eff.quality == pytest.approx((0.95 * 2) / 3)
    assert not stats.excluded("s1", "good")
    assert stats.records["s1"]["good"].last_failure == "invalid"
    search.report_failure("s1", "good", TimeoutError())
    assert stats.excluded("s1", "good")
    assert search.replan().tools()["s1"] != "good"


def test_success_updates_cost_and_quality():
    problem = three_step_problem()
    stats = ToolStats(ema=0.5)
    search = PathSearch(problem, stats=stats)
    search.report_success("s2", "x", latency=9.0)
    eff = stats.effective("s2", problem.get("s2").candidate("x"))
    assert eff.cost == pytest.approx(5.0)  # 0.5 * 1 + 0.5 * 9
    assert eff.quality == pytest.approx((0.9 * 2 + 1) / 3)
    assert search.finished == {"s2": "x"}


def test_failure_on_a_finished_subtask_unfinishes_it():
    search = PathSearch(three_step_problem())
    search.report_success("s0", "fast")
    search.report_failure("s0", "fast")
    assert "s0" not in search.finished
    assert search.replan().tools()["s0"] == "slow"


def test_every_tool_failing_names_the_subtask():
    search = PathSearch(three_step_problem())
    search.report_failure("s2", "x")
    search.report_failure("s2", "y")
    with pytest.raises(UnsolvableError) as info:
        search.replan()
    assert "'s2'" in info.value.capability and "excluded" in info.value.capability
    assert info.value.subtask == "s2"


# ---------------------------------------------------------------- unsolvable


def test_subtask_without_candidates_is_named():
    problem = SearchProblem(subtasks=[
        Subtask(id="fetch", candidates=[Candidate(tool="http")]),
        Subtask(id="ocr", description="read text from an image", depends_on=["fetch"]),
    ])
    with pytest.raises(UnsolvableError) as info:
        astar(problem)
    assert "'ocr'" in str(info.value) and "read text from an image" in str(info.value)


@pytest.mark.parametrize("source_key", [None, lambda tool: tool[0]], ids=["plain", "keyed"])
def test_incompatible_dependency_names_the_unservable_subtask(source_key):
    problem = chain([("a1", 1, 1), ("a2", 1, 1)], [("b1", 1, 1)], [("c1", 1, 1), ("c2", 1, 1)],
                    desc="convert")
    compat = lambda s, t: not t.startswith("c")  # noqa: E731 - nothing can feed s2
    with pytest.raises(UnsolvableError) as info:
        astar(problem, compatible=compat, source_key=source_key)
    assert info.value.subtask == "s2"
    assert "'s2'" in str(info.value) and "['s1']" in str(info.value)


# ---------------------------------------------------------------- alpha


def test_alpha_trades_cost_against_quality():
    problem = chain([("cheap", 1.0, 0.2), ("mid", 4.0, 0.6), ("premium", 10.0, 0.99)])
    assert astar(problem, alpha=1.0).tools() == {"s0": "cheap"}
    assert astar(problem, alpha=0.0).tools() == {"s0": "premium"}
    assert astar(problem, alpha=0.5).tools() == {"s0": "mid"}


def test_all_zero_costs_normalise_to_zero():
    problem = chain([("a", 0.0, 0.3), ("b", 0.0, 0.9)])
    path = astar(problem, alpha=1.0)
    assert path.score == 0.0
    assert astar(problem, alpha=0.5).tools() == {"s0": "b"}


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("alpha", [-0.1, 1.5, float("nan")])
def test_alpha_outside_unit_interval_is_a_config_error(alpha):
    with pytest.raises(ConfigError, match="alpha"):
        astar(three_step_problem(), alpha=alpha)
    with pytest.raises(ConfigError, match="alpha"):
        PathSearch(three_step_problem(), alpha=alpha)


def test_duplicate_subtask_ids_are_a_value_error():
    with pytest.raises(ValueError, match="duplicate subtask id 'a'"):
        SearchProblem(subtasks=[Subtask(id="a"), Subtask(id="a")])


def test_unknown_dependency_is_a_value_error():
    with pytest.raises(ValueError, match="unknown subtask 'zz'"):
        SearchProblem(subtasks=[Subtask(id="a", depends_on=["zz"])])


def test_cyclic_dependencies_are_a_value_error():
    with pytest.raises(ValueError, match="cyclic") as info:
        SearchProblem(subtasks=[
            Subtask(id="a", depends_on=["c"]), Subtask(id="b", depends_on=["a"]),
            Subtask(id="c", depends_on=["b"]), Subtask(id="d"),
        ])
    assert "['a', 'b', 'c']" in str(info.value)


def test_duplicate_candidate_tool_is_a_value_error():
    with pytest.raises(ValueError, match="candidate tool twice"):
        SearchProblem(subtasks=[Subtask(id="a", candidates=[Candidate(tool="x"),
                                                             Candidate(tool="x")])])


def test_unknown_fixed_tool_or_subtask_is_a_config_error():
    problem = three_step_problem()
    with pytest.raises(ConfigError, match="not a candidate"):
        astar(problem, fixed={"s0": "nope"})
    with pytest.raises(ConfigError, match="not in the problem"):
        astar(problem, fixed={"zz": "fast"})


def test_bad_failure_kind_and_negative_latency_are_config_errors():
    search = PathSearch(three_step_problem())
    with pytest.raises(ConfigError, match="failure kind"):
        search.report_failure("s0", "fast", "exploded")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="latency"):
        search.report_success("s0", "fast", latency=-1.0)


def test_candidate_ranges_are_validated():
    with pytest.raises(ValidationError):
        Candidate(tool="x", cost=-1.0)
    with pytest.raises(ValidationError):
        Candidate(tool="x", quality=1.5)


def test_a_malformed_problem_is_a_programming_error_not_a_plan_error():
    from agentkit.errors import PlanError

    with pytest.raises(ValueError) as info:
        SearchProblem(subtasks=[Subtask(id="a"), Subtask(id="a")])
    assert not isinstance(info.value, PlanError)
