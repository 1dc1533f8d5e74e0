"""Solved requests as demonstrations: a bank the planner and caller draw on, and runs learn into.

* :class:`Example` - a request and its TaskBench-style plan; :func:`read_examples` reads
  TaskBench ``data.json(l)`` files as they are and the bank's own JSONL.
* :class:`ExampleBank` - ``nearest(request, k, exclude=...)`` by the project's retriever over
  requests (hybrid, BM25 where no dense weights are installed).
* :class:`ExampleStore` - learned examples in SQLite, bounded (least recently used leave
  first) and kept per tool pool (:func:`pool_key`).
* :func:`pack_bank` - the hand-written bank shipped with each tool pack.
"""

from .bank import ExampleBank, RetrieverKind, ScoredExample
from .example import Example, clean, example_id, normalize, read_examples, write_examples
from .packs import PACK_BANKS, pack_bank, pack_bank_path
from .store import ExampleStore, pool_key

__all__ = [
    "PACK_BANKS",
    "Example",
    "ExampleBank",
    "ExampleStore",
    "RetrieverKind",
    "ScoredExample",
    "clean",
    "example_id",
    "normalize",
    "pack_bank",
    "pack_bank_path",
    "pool_key",
    "read_examples",
    "write_examples",
]
