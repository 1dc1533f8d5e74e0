"""Executor figures: makespan vs critical path on random DAGs, and orchestration overhead per node.

Runs plans through the real Agent (LangGraph entrypoint, one task per node) with a
fake planner, so no model time is counted. Tools sleep a simulated latency.
Run: python benchmarks/bench_makespan.py
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import networkx as nx

from agentkit import Agent, ExecutionPolicy, tool
from agentkit.events import NodeFinished, NodeStarted
from agentkit.testing import plan_model


@tool
async def work(seconds: float, inputs: str = "") -> str:
    """Simulated tool: sleeps ``seconds``.

    Args:
        seconds: simulated latency
        inputs: upstream outputs (references)
    """
    if seconds:
        await asyncio.sleep(seconds)
    return "done"


def random_dag(n: int, p: float, rng: random.Random, latency: tuple[float, float]) -> tuple[dict, nx.DiGraph]:
    g = nx.DiGraph()
    lat = {i: round(rng.uniform(*latency), 3) for i in range(n)}
    g.add_nodes_from(range(n))
    for j in range(n):
        for i in range(j):
            if rng.random() < p:
                g.add_edge(i, j)
    nodes = [
        {"task": "work", "arguments": {"seconds": str(lat[j]), "inputs": " ".join(f"<node-{i}>" for i in sorted(g.predecessors(j)))}}
        for j in range(n)
    ]
    for j in range(n):  # the references only: empty inputs
        if not nodes[j]["arguments"]["inputs"]:
            del nodes[j]["arguments"]["inputs"]
    for u, v in g.edges:
        g.edges[u, v]["weight"] = lat[v]
    g.graph["latency"] = lat
    return {"task_steps": [f"s{i}" for i in range(n)], "task_nodes": nodes, "task_links": []}, g


def critical_path(g: nx.DiGraph) -> float:
    lat = g.graph["latency"]
    best: dict[int, float] = {}
    for v in nx.topological_sort(g):
        best[v] = lat[v] + max((best[u] for u in g.predecessors(v)), default=0.0)
    return max(best.values())


async def execution_time(plan: dict, concurrency: int) -> float:
    """Wall time from the first node start to the last node finish."""
    n = len(plan["task_nodes"])
    agent = Agent([work], model=plan_model(plan), retriever=None, policy=ExecutionPolicy(max_concurrency=concurrency))
    agent.strategy.max_nodes, agent.strategy.max_chars = n, 400
    first = last = None
    async for event in agent.stream("run"):
        if isinstance(event, NodeStarted) and first is None:
            first = time.perf_counter()
        elif isinstance(event, NodeFinished):
            last = time.perf_counter()
    return last - first


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--nodes", default="20,50")
    args = parser.parse_args()

    print("## makespan on random DAGs (edge p=0.15, latency U(0.05, 0.3) s)")
    print(f"{'nodes':>5} {'critical s':>10} {'makespan s':>10} {'ratio':>6} {'sequential s':>12} {'speed-up':>8}")
    for n in (int(x) for x in args.nodes.split(",")):
        rows = []
        for seed in range(args.seeds):
            plan, g = random_dag(n, 0.15, random.Random(seed), (0.05, 0.3))
            cp = critical_path(g)
            makespan = await execution_time(plan, concurrency=n)
            sequential = sum(g.graph["latency"].values())
            rows.append((cp, makespan, makespan / cp, sequential, sequential / makespan))
        med = [statistics.median(col) for col in zip(*rows)]
        print(f"{n:>5} {med[0]:>10.2f} {med[1]:>10.2f} {med[2]:>6.3f} {med[3]:>12.2f} {med[4]:>8.1f}")

    print("\n## orchestration overhead (zero-latency tools; chain = every node waits for the previous one)")
    print(f"{'shape':>8} {'nodes':>5} {'ms/node':>8}")
    for shape in ("chain", "fan-out"):
        for n in (10, 100):
            nodes = [
                {"task": "work", "arguments": {"seconds": "0", **({"inputs": f"<node-{j - 1}>"} if shape == "chain" and j else {})}}
                for j in range(n)
            ]
            plan = {"task_steps": [f"s{j}" for j in range(n)], "task_nodes": nodes, "task_links": []}
            times = [await execution_time(plan, concurrency=n) for _ in range(3)]
            print(f"{shape:>8} {n:>5} {statistics.median(times) / n * 1000:>8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
