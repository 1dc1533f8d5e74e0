"""all-MiniLM-L6-v2 in numpy vs through llama.cpp (GGUF): agreement, retrieval quality, speed.

    PYTHONPATH=. nice -n 5 .venv/bin/python benchmarks/bench_minilm_gguf.py [--docs 500] [--reps 5]

Everything runs in one process, interleaved, medians: the machine is shared. Speed is
reported as wall time and as work per CPU-second (robust to other processes taking
the cores). Data: the first ``--docs`` tools of ../shared/toolret/{bfcl,toolbench}
(half each) and the BFCL queries whose gold tools are all among them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from agentkit.loaders import load_tools_jsonl  # noqa: E402
from agentkit.retrieval import DenseRetriever, evaluate, tool_text  # noqa: E402
from agentkit.retrieval.dense import embed_query  # noqa: E402
from agentkit.retrieval.minilm import MiniLMEmbedder  # noqa: E402
from agentkit.retrieval.minilm_gguf import GGUFMiniLMEmbedder  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "toolret"
Q20 = "Find me a cheap Italian restaurant near the central station that is open tonight"
Q60 = ("I am planning a trip to Lisbon next week. Please get the weather forecast for Lisbon for the next five days, "
       "find three hotels near the old town under 150 euros a night, and convert 500 US dollars to euros at today's rate.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    tools = [*list(load_tools_jsonl(DATA / "bfcl" / "tools.jsonl"))[: args.docs // 2],
             *list(load_tools_jsonl(DATA / "toolbench" / "tools.jsonl"))[: args.docs - args.docs // 2]]
    docs = [tool_text(t) for t in tools]
    have = {t.name for t in tools}
    queries = [json.loads(x) for x in (DATA / "bfcl" / "queries.jsonl").read_text().splitlines() if x.strip()]
    queries = [q for q in queries if set(q["gold"]) <= have]

    t0 = time.perf_counter()
    embs = {
        "numpy (2 threads)": MiniLMEmbedder(),
        "gguf f32 (1 thread)": GGUFMiniLMEmbedder(ftype="f32"),
        "gguf f16 (1 thread)": GGUFMiniLMEmbedder(ftype="f16"),
        "gguf f16 (2 threads)": GGUFMiniLMEmbedder(ftype="f16", threads=2),
    }
    print(f"loaded (GGUFs converted if missing) in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()}")

    ref = embs["numpy (2 threads)"]
    texts = docs[:25] + docs[-15:] + [q["query"] for q in queries[:8]] + [Q20, Q60]
    base = ref.embed(texts)
    for name, e in embs.items():
        if e is not ref:
            cos = (e.embed(texts) * base).sum(1)
            print(f"{name}: cosine to numpy over {len(texts)} texts: min {cos.min():.6f} mean {cos.mean():.6f}")

    print(f"\nretrieval, {len(tools)} tools, {len(queries)} BFCL queries (dense alone, %):")
    for name in ("numpy (2 threads)", "gguf f16 (1 thread)", "gguf f32 (1 thread)"):
        dense = DenseRetriever.build(tools, embs[name])
        ev = evaluate([[s.name for s in dense.search(q["query"], 10)] for q in queries], [q["gold"] for q in queries])
        print(f"  {name:22s} " + "  ".join(f"{k} {v * 100:.1f}" for k, v in ev.overall.items()))

    print(f"\nspeed, {args.reps} interleaved rounds, medians (load average at start {os.getloadavg()[0]:.1f}):")
    cols = ("index emb/s", "index emb/CPU-s", "q20 ms", "q60 ms")
    res: dict[str, dict[str, list[float]]] = {n: {c: [] for c in cols} for n in embs}
    for _ in range(args.reps):
        for name, e in embs.items():
            t, c = time.perf_counter(), time.process_time()
            e.embed(docs)
            res[name]["index emb/s"].append(len(docs) / (time.perf_counter() - t))
            res[name]["index emb/CPU-s"].append(len(docs) / (time.process_time() - c))
            for col, q in (("q20 ms", Q20), ("q60 ms", Q60)):
                lat = []
                for _ in range(5):
                    t = time.perf_counter()
                    embed_query(e, q)
                    lat.append((time.perf_counter() - t) * 1000)
                res[name][col].append(statistics.median(lat))
    tok = ref.tokenizer
    print(f"(q20 = {len(tok.encode(Q20).ids)} tokens, q60 = {len(tok.encode(Q60).ids)} tokens, 3 sentences; load average at end {os.getloadavg()[0]:.1f})")
    print("| embedder | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols))
    for name, r in res.items():
        print(f"| {name} | " + " | ".join(f"{statistics.median(v):.1f}" for v in r.values()) + " |")


if __name__ == "__main__":
    main()
