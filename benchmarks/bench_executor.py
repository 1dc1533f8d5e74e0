"""Executor benchmark: makespan vs critical path on random DAGs, and orchestration overhead per node.

Every plan runs through the real ``Agent`` (LangGraph functional-API entrypoint, one
``@task`` per plan node) with a fake planner/summarizer (``agentkit.testing.plan_model``)
and ``retriever=None``, so no model or retrieval time is counted. Tools are async and
sleep a simulated latency passed through the plan arguments (or return at once).

Two windows are timed for each run:

* ``nodes``: from the first ``NodeStarted`` to the last ``NodeFinished`` event, stamped
  when the executor emits them (``agentkit.workflow.emit`` is wrapped; agentkit is not changed);
* ``stage``: the whole execution stage, ``PlanExecutor.run`` from entry to return (task
  creation, dependency waits, A* look-ups, checkpoint writes of node results, events),
  wall and process CPU time.

``--tracing`` traces every run with the OpenTelemetry SDK (batch span processor, an exporter
that counts and drops the spans), to measure what tracing adds; without it no tracer
provider is set, as in an application that does not trace. ``--ab-tracing`` runs only the
overhead cases, tracing off and on alternately run by run, so both see the same load.

Run: ``.venv/bin/python benchmarks/bench_executor.py [--seeds 5] [--nodes 20,50] [--profile] [--tracing]``
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import platform
import pstats
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

import networkx as nx

import agentkit.workflow as workflow_module
from agentkit.executor import PlanExecutor
from agentkit import Agent, ExecutionPolicy, tool
from agentkit.events import Finished, NodeFinished, NodeStarted
from agentkit.result import RunStatus
from agentkit.testing import plan_model

LATENCY = (0.05, 0.3)
EDGE_P = 0.15
OVERHEAD_TARGET_MS = 2.0
RATIO_TARGET = 1.05


@tool
async def work(seconds: float, inputs: str = "") -> str:
    """Simulated tool: sleeps ``seconds`` (0: returns at once, no await).

    Args:
        seconds: simulated latency in seconds
        inputs: upstream outputs (``<node-j>`` references), unused
    """
    if seconds > 0:
        await asyncio.sleep(seconds)
    return "ok"


# -- timing ---------------------------------------------------------------------------

_STAMPS: list[tuple[float, Any]] = []
_real_emit = workflow_module.emit


def _stamping_emit(event: Any) -> None:
    if isinstance(event, NodeStarted | NodeFinished):
        _STAMPS.append((time.perf_counter(), event))
    _real_emit(event)


workflow_module.emit = _stamping_emit  # looked up as a module global at call time


class _Stage:
    """Times (and optionally profiles) the execution stage of the current run."""

    wall = cpu = start = end = 0.0
    profiler: cProfile.Profile | None = None  # when set, profiles the execution stage only


class TimedExecutor(PlanExecutor):
    """The real executor; only ``run`` is wrapped to time the execution stage."""

    async def run(self):  # type: ignore[override]
        if _Stage.profiler is not None:
            _Stage.profiler.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        _Stage.start = wall
        try:
            return await super().run()
        finally:
            _Stage.end = time.perf_counter()
            _Stage.wall = _Stage.end - wall
            _Stage.cpu = time.process_time() - cpu
            if _Stage.profiler is not None:
                _Stage.profiler.disable()


workflow_module.PlanExecutor = TimedExecutor  # type: ignore[misc]  # looked up when a run executes its plan


@dataclass
class Timing:
    nodes: float  # first NodeStarted -> last NodeFinished (emission time)
    stream: float  # the same window, stamped where agent.stream() yields the events
    stage: float  # PlanExecutor.run wall time
    stage_cpu: float  # PlanExecutor.run process CPU time
    before: float  # PlanExecutor.run entry -> first NodeStarted
    after: float  # last NodeFinished -> PlanExecutor.run return


async def run_plan(plan: dict[str, Any], concurrency: int, profiler: cProfile.Profile | None = None) -> Timing:
    n = len(plan["task_nodes"])
    agent = Agent([work], model=plan_model(plan), retriever=None, policy=ExecutionPolicy(max_concurrency=concurrency))
    _Stage.profiler = profiler
    agent.strategy.max_nodes, agent.strategy.max_chars = n, 2000  # a plan this big must pass the planner's bounds
    _STAMPS.clear()
    seen_first = seen_last = None
    status = None
    async for event in agent.stream("run the plan"):
        if isinstance(event, NodeStarted) and seen_first is None:
            seen_first = time.perf_counter()
        elif isinstance(event, NodeFinished):
            seen_last = time.perf_counter()
        elif isinstance(event, Finished):
            status = event.result.status
            assert len(event.result.nodes) == n
    if status != RunStatus.OK:
        raise RuntimeError(f"run ended {status}")
    starts = [t for t, e in _STAMPS if isinstance(e, NodeStarted)]
    ends = [t for t, e in _STAMPS if isinstance(e, NodeFinished)]
    assert len(starts) == len(ends) == n
    return Timing(
        max(ends) - min(starts), seen_last - seen_first, _Stage.wall, _Stage.cpu,
        min(starts) - _Stage.start, _Stage.end - max(ends),
    )  # fmt: skip


# -- plans ----------------------------------------------------------------------------


def make_plan(latencies: list[float], preds: dict[int, list[int]]) -> dict[str, Any]:
    nodes = []
    for j, lat in enumerate(latencies):
        args = {"seconds": f"{lat:.3f}"}
        if preds.get(j):
            args["inputs"] = " ".join(f"<node-{i}>" for i in sorted(preds[j]))
        nodes.append({"task": "work", "arguments": args})
    return {"task_steps": [f"step {j}" for j in range(len(nodes))], "task_nodes": nodes, "task_links": []}


def random_dag(n: int, seed: int) -> tuple[dict[str, Any], nx.DiGraph]:
    """Nodes 0..n-1 in topological order; each edge i -> j (i < j) with probability EDGE_P."""
    rng = random.Random(seed)
    lat = [round(rng.uniform(*LATENCY), 3) for _ in range(n)]
    g = nx.DiGraph()
    g.add_nodes_from((j, {"latency": lat[j]}) for j in range(n))
    g.add_edges_from((i, j) for j in range(n) for i in range(j) if rng.random() < EDGE_P)
    return make_plan(lat, {j: list(g.predecessors(j)) for j in range(n)}), g


def critical_path(g: nx.DiGraph) -> float:
    """Longest latency-weighted path: edges weighted by their target's latency, from a virtual source."""
    h = nx.DiGraph()
    h.add_edges_from((u, v, {"w": g.nodes[v]["latency"]}) for u, v in g.edges)
    h.add_edges_from(("source", v, {"w": g.nodes[v]["latency"]}) for v in g.nodes)
    return nx.dag_longest_path_length(h, weight="w")


def shape_plan(shape: str, n: int) -> dict[str, Any]:
    """Zero-latency plans: a chain (j waits for j-1) or a fan-out (node 0 feeds the n-1 others)."""
    preds = {j: [j - 1] for j in range(1, n)} if shape == "chain" else {j: [0] for j in range(1, n)}
    return make_plan([0.0] * n, preds)


# -- sections -------------------------------------------------------------------------


async def bench_makespan(sizes: list[int], seeds: int, out: list[str]) -> dict[int, dict[str, float]]:
    out.append(f"makespan on random DAGs: edge p={EDGE_P} (i -> j, i < j), latency U{LATENCY} s, median of {seeds} seeds")
    header = (
        f"{'nodes':>5} {'edges':>5} {'crit s':>7} {'nodes s':>8} {'stage s':>8} {'ratio':>6} {'ratio stg':>9} "
        f"{'sum lat s':>9} {'seq meas s':>10} {'x sum':>6} {'x meas':>6}"
    )
    out.extend([header, "-" * len(header)])
    summary = {}
    for n in sizes:
        rows = []
        for seed in range(seeds):
            plan, g = random_dag(n, seed)
            cp = critical_path(g)
            par = await run_plan(plan, concurrency=10_000)
            seq = await run_plan(plan, concurrency=1)
            total = sum(d["latency"] for _, d in g.nodes(data=True))
            rows.append(
                dict(edges=g.number_of_edges(), cp=cp, nodes=par.nodes, stage=par.stage, ratio=par.nodes / cp,
                     ratio_stage=par.stage / cp, sum=total, seq=seq.stage, x_sum=total / par.stage, x_meas=seq.stage / par.stage)
            )  # fmt: skip
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        med["ratio_max"] = max(r["ratio_stage"] for r in rows)
        summary[n] = med
        out.append(
            f"{n:>5} {med['edges']:>5.0f} {med['cp']:>7.2f} {med['nodes']:>8.2f} {med['stage']:>8.2f} {med['ratio']:>6.3f} "
            f"{med['ratio_stage']:>9.3f} {med['sum']:>9.2f} {med['seq']:>10.2f} {med['x_sum']:>5.1f}x {med['x_meas']:>5.1f}x"
        )
    return summary


async def bench_overhead(sizes: list[int], repeats: int, out: list[str]) -> dict[tuple[str, int], dict[str, float]]:
    out.append(f"orchestration overhead, zero-latency tools, median of {repeats} runs (ms per node)")
    header = (
        f"{'shape':>8} {'nodes':>5} {'stage ms/node':>13} {'cpu ms/node':>11} {'nodes-window ms/node':>20} "
        f"{'stream ms/node':>14} {'before 1st ms':>13} {'after last ms':>13}"
    )
    out.extend([header, "-" * len(header)])
    summary = {}
    for shape in ("chain", "fan-out"):
        for n in sizes:
            runs = [await run_plan(shape_plan(shape, n), concurrency=10_000) for _ in range(repeats)]
            med = {
                "stage": statistics.median(r.stage for r in runs) / n * 1e3,
                "cpu": statistics.median(r.stage_cpu for r in runs) / n * 1e3,
                "nodes": statistics.median(r.nodes for r in runs) / n * 1e3,
                "stream": statistics.median(r.stream for r in runs) / n * 1e3,
                "before": statistics.median(r.before for r in runs) * 1e3,
                "after": statistics.median(r.after for r in runs) * 1e3,
            }
            summary[(shape, n)] = med
            out.append(f"{shape:>8} {n:>5} {med['stage']:>13.2f} {med['cpu']:>11.2f} {med['nodes']:>20.2f} {med['stream']:>14.2f} {med['before']:>13.1f} {med['after']:>13.1f}")
    return summary


_GROUPS = (
    ("agentkit", ("/agentkit/", "/planners/")),
    ("langgraph (pregel runner, checkpoint, stream)", ("/langgraph/",)),
    ("langchain_core (runnable config, callbacks)", ("/langchain_core/",)),
    ("pydantic", ("/pydantic", "pydantic_core")),
    ("jsonschema / referencing", ("/jsonschema", "/referencing/")),
    ("asyncio event loop", ("/asyncio/", "_asyncio", "_contextvars", "select.epoll")),
    ("inspect (signatures)", ("/inspect.py",)),
    ("builtins (isinstance, getattr, ...)", ("~:",)),
)

# (label, file suffix, function name): inclusive time of these, per node
_HOTSPOTS = (
    ("asyncio.wait over LangGraph's in-flight futures (runner tick)", "asyncio/tasks.py", "wait"),
    ("LangGraph: prepare each @task call (prepare_push_task_functional)", "pregel/_algo.py", "prepare_push_task_functional"),
    ("  of which: rebuild the task's runnable (get_runnable_for_task)", "pregel/_call.py", "get_runnable_for_task"),
    ("  of which: merge_configs", "_internal/_config.py", "merge_configs"),
    ("LangGraph: save each task's result (put_writes)", "pregel/_loop.py", "put_writes"),
    ("agentkit: PlanExecutor._node (args, A*, tool call)", "agentkit/executor.py", "_node"),
    ("  of which: PathSearch.report_success", "agentkit/search/replan.py", "report_success"),
    ("agentkit: events (emit -> stream writer)", "agentkit/workflow.py", "emit"),
)


def _group(filename: str, name: str) -> str:
    where = f"{filename}:{name}"
    for label, marks in _GROUPS:
        if any(m in where for m in marks):
            return label
    return "other (builtins, copy, uuid, ...)"


def profile(shape: str, n: int, repeats: int, top: int) -> str:
    """cProfile of the execution stage of zero-latency runs: own time by package, then by function.

    The profiler is on from ``PlanExecutor.run`` entry to return, so it sees everything the
    event loop runs meanwhile (LangGraph's runner and stream, the consumer of ``stream``).
    """
    prof = cProfile.Profile()
    plan = shape_plan(shape, n)

    async def go() -> None:
        await run_plan(plan, 10_000)  # warm
        for _ in range(repeats):
            await run_plan(plan, 10_000, profiler=prof)

    asyncio.run(go())
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        groups[_group(filename, name)] = groups.get(_group(filename, name), 0.0) + tottime
    lines = [f"profiled stage time {total / repeats / n * 1e3:.2f} ms/node (cProfile adds its own overhead); own time by package:"]
    lines += [f"  {t / total:6.1%}  {label}" for label, t in sorted(groups.items(), key=lambda kv: -kv[1])]
    lines.append("inclusive time of the main call sites (ms per node, profiled):")
    for label, suffix, func in _HOTSPOTS:
        cum = sum(v[3] for (f, _, name), v in stats.stats.items() if f.endswith(suffix) and name == func)  # type: ignore[attr-defined]
        lines.append(f"  {cum / repeats / n * 1e3:6.3f}  {label}")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    lines.append(buf.getvalue())
    return "\n".join(lines)


async def bench_tracing_ab(sizes: list[int], repeats: int, out: list[str]) -> None:
    """Tracing off and on, alternating run by run in one process (so both see the same machine load).

    "On" is a global SDK tracer provider with a batch processor (spans counted, dropped); "off"
    is no provider, as in an application that does not trace. The provider is swapped through
    the API's global between runs, which is what an application's ``set_tracer_provider`` sets.
    """
    from opentelemetry import trace

    provider = enable_tracing()
    out.append(f"tracing off vs on, alternating, zero-latency tools, median of {repeats} runs each (ms per node)")
    header = f"{'shape':>8} {'nodes':>5} {'stage off':>9} {'stage on':>8} {'+ms':>6} {'cpu off':>7} {'cpu on':>6} {'+ms':>6}"
    out.extend([header, "-" * len(header)])
    for shape in ("chain", "fan-out"):
        for n in sizes:
            runs: dict[str, list[Timing]] = {"off": [], "on": []}
            for _ in range(repeats):
                for mode in ("off", "on"):
                    trace._TRACER_PROVIDER = provider if mode == "on" else None  # type: ignore[attr-defined]
                    runs[mode].append(await run_plan(shape_plan(shape, n), concurrency=10_000))
            stage = {m: statistics.median(r.stage for r in rs) / n * 1e3 for m, rs in runs.items()}
            cpu = {m: statistics.median(r.stage_cpu for r in rs) / n * 1e3 for m, rs in runs.items()}
            out.append(
                f"{shape:>8} {n:>5} {stage['off']:>9.2f} {stage['on']:>8.2f} {stage['on'] - stage['off']:>+6.2f} "
                f"{cpu['off']:>7.2f} {cpu['on']:>6.2f} {cpu['on'] - cpu['off']:>+6.2f}"
            )
    trace._TRACER_PROVIDER = provider  # type: ignore[attr-defined]
    provider.force_flush()
    out.append(f"spans made and exported with tracing on: {_CountingExporter.spans:,}")


async def main_async(args: argparse.Namespace) -> tuple[list[str], bool]:
    sizes = [int(x) for x in args.nodes.split(",")]
    await run_plan(shape_plan("chain", 5), 10)  # warm-up: imports, LangGraph compile paths
    out: list[str] = []
    if args.ab_tracing:
        await bench_tracing_ab([int(x) for x in args.overhead_nodes.split(",")], args.repeats, out)
        return out, True
    mk = await bench_makespan(sizes, args.seeds, out)
    out.append("")
    oh = await bench_overhead([int(x) for x in args.overhead_nodes.split(",")], args.repeats, out)
    out.append("")
    ratio_ok = all(m["ratio_stage"] <= RATIO_TARGET for m in mk.values())
    worst_ms = max(m["stage"] for m in oh.values())
    overhead_ok = worst_ms < OVERHEAD_TARGET_MS
    ratios = ", ".join(f"{n} nodes {m['ratio_stage']:.3f} (worst seed {m['ratio_max']:.3f})" for n, m in mk.items())
    out.append(
        f"targets: makespan/critical path <= {RATIO_TARGET} (stage, median): {'met' if ratio_ok else 'MISSED'} "
        f"({ratios}); "
        f"overhead < {OVERHEAD_TARGET_MS} ms/node: {'met' if overhead_ok else 'MISSED'} (worst {worst_ms:.2f} ms/node)"
    )
    return out, ratio_ok and overhead_ok


class _CountingExporter:
    """An OpenTelemetry span exporter that counts the spans it is given and drops them."""

    spans = 0

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        _CountingExporter.spans += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def enable_tracing() -> Any:
    """A global SDK tracer provider with a batch processor, as an application that traces would set up."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_CountingExporter()))  # type: ignore[arg-type]
    trace.set_tracer_provider(provider)
    return provider


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="random DAGs per size (median reported)")
    parser.add_argument("--nodes", default="20,50", help="comma-separated DAG sizes")
    parser.add_argument("--overhead-nodes", default="10,100", help="comma-separated sizes of the zero-latency chains/fan-outs")
    parser.add_argument("--repeats", type=int, default=7, help="runs per overhead case (median reported)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the 100-node cases (automatic on a missed target)")
    parser.add_argument("--top", type=int, default=20, help="functions listed per profile")
    parser.add_argument("--tracing", action="store_true", help="trace every run (OpenTelemetry SDK; spans counted, then dropped)")
    parser.add_argument("--ab-tracing", action="store_true", help="only the overhead cases, tracing off and on alternately (A/B under one load)")
    args = parser.parse_args()
    provider = enable_tracing() if args.tracing else None

    started = time.perf_counter()
    load = os.getloadavg()
    print(
        f"# agentkit executor benchmark — python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) at start; tracing {'on' if args.tracing else 'off'}"
    )
    out, ok = asyncio.run(main_async(args))
    print("\n".join(out))
    if args.profile or not ok:
        for shape in ("chain", "fan-out"):
            print(f"\n# cProfile, execution stage only, {shape} of 100 zero-latency nodes, 3 runs (top by cumulative time)")
            print(profile(shape, 100, 3, args.top))
    if provider is not None:
        provider.force_flush()
        print(f"# tracing: {_CountingExporter.spans:,} spans made and exported")
    load = os.getloadavg()
    print(f"# done in {time.perf_counter() - started:.0f} s; load average at end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


if __name__ == "__main__":
    main()
