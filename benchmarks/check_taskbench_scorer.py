"""Check the TaskBench scorer against the upstream check runs described in shared/taskbench/README.md.

For each domain folder: the gold scored as its own prediction (official and strict mode) must
give F1 100 and edit distance 0 on every scored sample (huggingface: 157 of 158, one gold line
has an object as ``task_nodes``); appending a tool that does not exist to every predicted node
list must leave the F1s at 100 and move only the edit distance (upstream: about 20-24 %);
predicting only the first half of the ids must still give 100 on those. For huggingface,
removing the gold tools that are not in ``tool_desc.json`` from the prediction must keep n-F1
at 100 and give e-F1 / t-F1 / v-F1 97.56 / 97.87 / 98.08 (upstream's numbers on the
158-sample development file).

    python benchmarks/check_taskbench_scorer.py             # every domain in ../shared/taskbench
    python benchmarks/check_taskbench_scorer.py --data DIR  # one domain folder

Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

from agentkit.bench import (
    GoldSample,
    TaskBenchScore,
    format_score_table,
    load_gold,
    load_tool_catalog,
    score_predictions,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "taskbench"
DOMAINS = ("huggingface", "multimedia", "dailylifeapis")
# README "Check run": huggingface development file, out-of-list gold tools removed from the prediction.
REMOVAL_EXPECTED = {"samples": 158, "n_f1": 100.0, "e_f1": 97.56, "t_f1": 97.87, "v_f1": 98.08}


def _as_prediction(gold: GoldSample, nodes: Any) -> dict[str, Any]:
    result = {"task_steps": gold.task_steps, "task_nodes": nodes, "task_links": gold.task_links}
    return {"id": gold.id, "result": copy.deepcopy(result)}


def _summary(score: TaskBenchScore) -> str:
    o = score.overall
    return (
        f"scored {o.scored}/{o.samples} (steps {o.step_supports}): n-F1 {o.n_f1:.2f}  "
        f"e-F1 {o.e_f1:.2f}  t-F1 {o.t_f1:.2f}  v-F1 {o.v_f1:.2f}  R1 {o.rouge1:.2f}  "
        f"R2 {o.rouge2:.2f}  edit {o.edit_distance:.2f}"
    )


def _perfect(score: TaskBenchScore) -> bool:
    o = score.overall
    return (o.n_f1, o.e_f1, o.t_f1, o.v_f1, o.rouge1, o.rouge2) == (100,) * 6


def check_gold(domain: Path, golds: list[GoldSample]) -> bool:
    ok = True
    for mode in ("strict", "official"):
        score = score_predictions(domain, [_as_prediction(g, g.task_nodes) for g in golds], mode=mode)
        print(f"[{domain.name}] gold as prediction, {mode}: {_summary(score)}")
        readable = score.overall.samples - len(score.coverage.unscorable_gold_ids)
        ok &= _perfect(score) and score.overall.edit_distance == 0 and score.overall.scored == readable
    print(format_score_table(score))  # official: the single / 1-node e-F1 shows upstream's 0.0
    return ok


def check_invented_tool(domain: Path, golds: list[GoldSample]) -> bool:
    invented = {"task": "No Such Tool"}
    preds = [
        _as_prediction(g, [*g.task_nodes, invented] if isinstance(g.task_nodes, list) else g.task_nodes)
        for g in golds
    ]
    score = score_predictions(domain, preds)
    print(f"[{domain.name}] a non-existent tool appended to every prediction: {_summary(score)}")
    return _perfect(score) and 20 <= (score.overall.edit_distance or 0) < 25


def check_first_half(domain: Path, golds: list[GoldSample]) -> bool:
    half = golds[: len(golds) // 2]
    score = score_predictions(domain, [_as_prediction(g, g.task_nodes) for g in half])
    print(f"[{domain.name}] only the first {len(half)} ids predicted: {_summary(score)}")
    missing = [g.id for g in golds[len(half) :]]
    return _perfect(score) and score.overall.predicted == len(half) and score.coverage.missing_ids == missing


def check_removal(domain: Path, golds: list[GoldSample]) -> bool:
    tools = set(load_tool_catalog(domain / "tool_desc.json").ids)
    preds = [
        _as_prediction(g, [n for n in g.task_nodes if n["task"] in tools])
        if isinstance(g.task_nodes, list)
        else _as_prediction(g, g.task_nodes)
        for g in golds
    ]
    score = score_predictions(domain, preds)
    o = score.overall
    print(f"[{domain.name}] out-of-list gold tools removed: {_summary(score)}")
    got = {"samples": o.samples, "n_f1": o.n_f1, "e_f1": o.e_f1, "t_f1": o.t_f1, "v_f1": o.v_f1}
    rounded = {k: v if k == "samples" else round(v or 0.0, 2) for k, v in got.items()}
    print(f"  expected {REMOVAL_EXPECTED}\n  got      {rounded}")
    return rounded == REMOVAL_EXPECTED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="one domain folder (data.jsonl + tool_desc.json)")
    args = parser.parse_args(argv)
    domains = [args.data] if args.data else [SHARED / d for d in DOMAINS if (SHARED / d).is_dir()]
    if not domains:
        print(f"no domain folders under {SHARED}; pass --data DIR", file=sys.stderr)
        return 2
    ok = True
    for domain in domains:
        golds = load_gold(domain)
        ok &= check_gold(domain, golds)
        ok &= check_invented_tool(domain, golds)
        ok &= check_first_half(domain, golds)
        if domain.name == "huggingface" and len(golds) == REMOVAL_EXPECTED["samples"]:
            ok &= check_removal(domain, golds)
        print()
    print("all checks passed" if ok else "CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
