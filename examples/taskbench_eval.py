"""A TaskBench-style evaluation from Python: plan each request, write TaskBench predictions, score them.

Uses the same runner as `agentkit bench taskbench` (resumable, failures recorded, official and
strict scores). Run: python examples/taskbench_eval.py ../shared/taskbench/dailylifeapis --limit 5
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from agentkit.bench import format_score_table, score_predictions
from agentkit.bench.run import run_taskbench
from agentkit.models import ChatModel

FIXTURE = Path(__file__).parent.parent / "tests" / "fixtures" / "taskbench_mini" / "resource"


def main(data: Path = FIXTURE, model: str | ChatModel = "llamacpp:default", limit: int | None = 5, out: Path | None = None) -> dict:
    out = out or Path(tempfile.mkdtemp(prefix="taskbench-"))
    summary = run_taskbench(data, model, system="agentkit", out=out, limit=limit, retriever="bm25")
    print(f"planned {summary.done} sample(s), {summary.failed} failed; predictions in {out / 'predictions.jsonl'}")
    scores = {}
    for mode in ("official", "strict"):
        scores[mode] = score_predictions(out, out / "predictions.jsonl", mode=mode)
        print(f"\n{mode} mode\n{format_score_table(scores[mode])}")
    return scores


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=FIXTURE)
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--limit", type=int, default=5)
    args = parser.parse_args()
    main(args.data, args.model, args.limit)
