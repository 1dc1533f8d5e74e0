"""ToolRegistry + ToolGraph build time for large tool pools (issue: 20,000 tools in seconds).

Tools get random resource types (TaskBench's five) and a JSON-Schema parameter object;
the timing covers building the Tool objects (each with a distinct schema, so the
schema-check cache does not help), the registry and
the graph, plus 1,000 successor queries. Run: python benchmarks/bench_toolgraph.py
"""

from __future__ import annotations

import argparse
import random
import time

from agentkit import Tool, ToolGraph, ToolRegistry

TYPES = ["text", "image", "audio", "video", "url"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    args = parser.parse_args()
    rng = random.Random(0)
    print(f"{'tools':>7} {'build tools s':>14} {'registry+graph s':>17} {'graph edges':>12} {'1k successor queries s':>23}")
    for n in (int(x) for x in args.sizes.split(",")):
        t0 = time.perf_counter()
        tools = [
            Tool(
                name=f"tool_{i}",
                description=f"tool number {i}",
                parameters={"type": "object", "properties": {"x": {"type": "string", "description": f"input {i}"}}, "required": ["x"]},
                input_types=rng.sample(TYPES, rng.randint(1, 2)),
                output_types=rng.sample(TYPES, 1),
            )
            for i in range(n)
        ]
        t1 = time.perf_counter()
        graph = ToolGraph(ToolRegistry(tools))
        t2 = time.perf_counter()
        for i in range(1000):
            graph.successors(f"tool_{(i * 7919) % n}")
        t3 = time.perf_counter()
        print(f"{n:>7} {t1 - t0:>14.2f} {t2 - t1:>17.2f} {graph.graph.number_of_edges():>12} {(t3 - t2):>23.3f}")


if __name__ == "__main__":
    main()
