"""A TaskBench evaluation from Python: plan each request, write TaskBench predictions, score them.

Shows the pieces behind `agentkit bench taskbench`: a domain folder's tools
(`load_taskbench_tools`), agentkit's constrained planner (`get_planner("one-shot").plan(...)`) on
the top-k BM25-retrieved tools, `TaskPlan.to_taskbench(dependency)` for the prediction format,
and `score_predictions` in official and strict mode, printed with `format_score_table`.
A sample whose plan fails is left out of predictions.jsonl (official mode then skips it; strict
mode counts it as an empty plan).

Run: python examples/taskbench_eval.py [DOMAIN_FOLDER] [--model SPEC] [--limit N] [--out DIR]
(default folder: tests/fixtures/taskbench_mini/resource, default model: llamacpp:default)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from agentkit import ToolGraph
from agentkit.bench import TaskBenchScore, format_score_table, load_gold, load_user_requests, score_predictions
from agentkit.bench.taskbench_data import gold_file
from agentkit.errors import AgentkitError
from agentkit.loaders import load_taskbench_tools
from agentkit.models import ChatModel, load_model
from agentkit.planners import get_planner
from agentkit.retrieval import make_retriever

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "taskbench_mini" / "resource"


async def predict(data: Path, model: ChatModel, out: Path, limit: int | None, top_k: int, max_nodes: int) -> Path:
    """Plan every sample (up to ``limit``) and write ``{"id", "result"}`` lines to out/predictions.jsonl."""
    domain = load_taskbench_tools(data)
    dependency = "temporal" if domain.dependency == "temporal" else "resource"
    graph = ToolGraph(domain.registry, domain.links)
    retriever = make_retriever("bm25", list(domain.registry))
    planner = get_planner("one-shot", max_nodes=max_nodes)
    requests_file = data / "user_requests.jsonl"  # what upstream TaskBench sends; else the instruction
    requests = load_user_requests(requests_file) if requests_file.is_file() else {}
    samples = load_gold(data)[:limit]
    path = out / "predictions.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for gold in samples:
            request = requests.get(gold.id) or gold.instruction
            hits = retriever.search(request, k=top_k) if len(domain.registry) > top_k else []
            tools = [domain.registry.get(h.name) for h in hits] or list(domain.registry)  # small pool: all
            try:
                outcome = await planner.plan(request, tools, model=model, registry=domain.registry, graph=graph)
            except AgentkitError as exc:  # an invalid plan after the repair round: no prediction
                print(f"{gold.id:>6}  FAILED  {type(exc).__name__}: {' '.join(str(exc).split())[:100]}")
                continue
            result = outcome.plan.to_taskbench(dependency)
            fh.write(json.dumps({"id": gold.id, "result": result}) + "\n")
            print(f"{gold.id:>6}  {' -> '.join(n['task'] for n in result['task_nodes']) or '(empty)'}")
    return path


def main(
    data: Path = FIXTURE,
    model: str | ChatModel = "llamacpp:default",
    limit: int | None = None,
    out: Path | None = None,
    top_k: int = 8,
    max_nodes: int = 4,
) -> dict[str, TaskBenchScore]:
    data = Path(data)
    out = Path(out or tempfile.mkdtemp(prefix="taskbench-"))
    out.mkdir(parents=True, exist_ok=True)
    chat = load_model(model) if isinstance(model, str) else model
    predictions = asyncio.run(predict(data, chat, out, limit, top_k, max_nodes))
    print(f"predictions: {predictions}")
    # Score against the selected samples only (a copy of their gold lines), so --limit scores what ran.
    ids = {gold.id for gold in load_gold(data)[:limit]}
    lines = gold_file(data).read_text(encoding="utf-8").splitlines()
    selected = [line for line in lines if line.strip() and str(json.loads(line).get("id")) in ids]
    (out / "data.jsonl").write_text("\n".join(selected) + "\n", encoding="utf-8")
    scores = {}
    for mode in ("official", "strict"):
        scores[mode] = score_predictions(out, predictions, mode=mode, tool_desc=data / "tool_desc.json")
        print(f"\n{mode} mode\n{format_score_table(scores[mode])}")
    return scores


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=FIXTURE, help="a TaskBench domain folder")
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    main(args.data, args.model, args.limit, args.out)
