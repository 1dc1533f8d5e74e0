"""Solved requests as demonstrations: a bank the planner and caller draw on, and runs learn into.

* :class:`Example` - a request and its TaskBench-style plan; :func:`read_examples` reads
  TaskBench ``data.json(l)`` files as they are and the bank's own JSONL.
* :class:`ExampleBank` - ``nearest(request, k, exclude=...)`` by the project's retriever over
  requests (hybrid, BM25 where no dense weights are installed).
* :class:`ExampleStore` - learned examples in SQLite, bounded (least recently used leave
  first) and kept per tool pool (:func:`pool_key`).
* :func:`pack_bank` - the hand-written bank shipped with each tool pack.
* :func:`build_bank` / :func:`learn_from` - what ``Agent(examples=..., learn=True)`` means.
"""

from .bank import ExampleBank, RetrieverKind, ScoredExample
from .example import Example, clean, example_id, normalize, read_examples, write_examples
from .packs import PACK_BANKS, pack_bank, pack_bank_path
from .store import ExampleStore, pool_key
from .wiring import BUILTIN, ExamplesSpec, build_bank, builtin_examples, learn_from, store_path, worth_learning

__all__ = [
    "BUILTIN",
    "PACK_BANKS",
    "Example",
    "ExampleBank",
    "ExampleStore",
    "ExamplesSpec",
    "RetrieverKind",
    "ScoredExample",
    "build_bank",
    "builtin_examples",
    "clean",
    "example_id",
    "normalize",
    "pack_bank",
    "pack_bank_path",
    "pool_key",
    "learn_from",
    "read_examples",
    "store_path",
    "worth_learning",
    "write_examples",
]
