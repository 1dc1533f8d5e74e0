"""Ranking metrics for tool retrieval: NDCG@k (binary relevance), Recall@k, pass@k.

Why these three: NDCG@k is what ToolLLM reports (order matters), Recall@k is what a
planner that reads the top k sees, and pass@k (every gold tool in the top k, as in
COLT/TGR) is what a multi-tool request needs: missing one gold tool fails the task.
Pure Python over names, so any evaluation (CLI, benchmark, test) can reuse it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """DCG of the top ``k`` (gain 1 per gold, discount 1/log2(rank+1)) over the ideal DCG."""
    g = set(gold)
    if not g:
        return 0.0
    dcg = sum(1.0 / math.log2(r + 1) for r, name in enumerate(ranked[:k], 1) if name in g)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(g), k) + 1))
    return dcg / ideal


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold tools found in the top ``k``."""
    g = set(gold)
    return len(g.intersection(ranked[:k])) / len(g) if g else 0.0


def pass_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 if every gold tool is in the top ``k``, else 0.0."""
    g = set(gold)
    return float(bool(g) and g.issubset(ranked[:k]))


METRICS = {"ndcg": ndcg_at_k, "recall": recall_at_k, "pass": pass_at_k}
DEFAULT_METRICS: tuple[tuple[str, int], ...] = (
    ("ndcg", 1), ("ndcg", 5), ("ndcg", 10), ("recall", 5), ("recall", 10), ("pass", 5), ("pass", 10),
)


def metric_name(metric: str, k: int) -> str:
    return f"{metric}@{k}"


@dataclass
class Evaluation:
    """Mean metrics overall and per group; ``counts`` is the number of queries behind each mean."""

    overall: dict[str, float]
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.overall)


def evaluate(
    rankings: Sequence[Sequence[str]],
    golds: Sequence[Iterable[str]],
    groups: Sequence[str] | None = None,
    metrics: Sequence[tuple[str, int]] = DEFAULT_METRICS,
) -> Evaluation:
    """Mean of each (metric, k) over queries, overall and per group (macro over queries)."""
    if len(rankings) != len(golds) or (groups is not None and len(groups) != len(rankings)):
        raise ValueError("rankings, golds and groups must have one entry per query")
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[str, int] = defaultdict(int)
    for i, (ranked, gold) in enumerate(zip(rankings, golds)):
        gold = list(gold)
        keys = ["overall"] + ([groups[i]] if groups is not None else [])
        for key in keys:
            counts[key] += 1
            for metric, k in metrics:
                sums[key][metric_name(metric, k)] += METRICS[metric](ranked, gold, k)

    def means(key: str) -> dict[str, float]:
        n = counts[key]
        return {metric_name(m, k): (sums[key][metric_name(m, k)] / n if n else 0.0) for m, k in metrics}

    group_names = sorted(k for k in counts if k != "overall")
    return Evaluation(
        overall=means("overall"),
        groups={g: means(g) for g in group_names},
        counts=dict(counts),
    )


def format_table(rows: Mapping[str, Mapping[str, float]], *, counts: Mapping[str, int] | None = None, percent: bool = True) -> str:
    """A Markdown table: one row per key (method or group), one column per metric."""
    if not rows:
        return ""
    columns = list(next(iter(rows.values())))
    head = ["", *(["n"] if counts else []), *columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, values in rows.items():
        cells = [f"{values[c] * 100:.1f}" if percent else f"{values[c]:.3f}" for c in columns]
        n = [str(counts.get(key, ""))] if counts else []
        lines.append("| " + " | ".join([key, *n, *cells]) + " |")
    return "\n".join(lines)
