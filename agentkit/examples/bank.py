"""The example bank: solved requests, found by similarity to a new request.

Similarity is the project's own retriever over the examples' requests (hybrid BM25 + MiniLM,
BM25 alone where no dense weights are installed), so a bank ranks requests exactly as the
agent ranks tools. ``nearest`` never returns an excluded id nor an example whose request is the
one asked about: an evaluation can never show a sample its own answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentkit.plan import references_in
from agentkit.registry import ToolRegistry
from agentkit.retrieval import Retriever, make_retriever
from agentkit.tool import Tool

from .example import Example, normalize, read_examples
from .store import ExampleStore

RetrieverKind = Literal["hybrid", "bm25"]


@dataclass(frozen=True)
class ScoredExample:
    example: Example
    score: float


class ExampleBank:
    """Examples from files (read-only) plus, with a ``store``, examples learned from runs."""

    def __init__(self, examples: Iterable[Example] = (), *, store: ExampleStore | None = None,
                 retriever: RetrieverKind = "hybrid", source: str = "") -> None:  # fmt: skip
        self._static: dict[str, Example] = {}
        for e in examples:
            self._static[e.id] = e
        self.store = store
        self.retriever_kind: RetrieverKind = retriever
        self.source = source
        self._lock = threading.Lock()
        self._index: tuple[list[Example], Retriever] | None = None
        self._free: set[tuple[str, str]] | None = None

    @classmethod
    def load(cls, *paths: str | Path, registry: ToolRegistry | None = None, store: ExampleStore | None = None,
             retriever: RetrieverKind = "hybrid") -> ExampleBank:  # fmt: skip
        """A bank of the examples in ``paths`` (TaskBench data files or folders, or bank JSONL)."""
        examples = [e for p in paths for e in read_examples(p, registry=registry)]
        return cls(examples, store=store, retriever=retriever, source=", ".join(str(p) for p in paths))

    @property
    def examples(self) -> list[Example]:
        learned = self.store.examples() if self.store is not None else []
        ids = {e.id for e in learned}
        return [*learned, *(e for e in self._static.values() if e.id not in ids)]

    def __len__(self) -> int:
        return len(self._static) + (len(self.store) if self.store is not None else 0)

    def add(self, example: Example) -> Example:
        """Keep ``example`` (in the store when there is one); the same request again replaces its plan."""
        if self.store is not None:
            stored = self.store.add(example)
        else:
            same = next((e for e in self._static.values() if e.key == example.key), None)
            stored = example.model_copy(update={"id": same.id}) if same else example
            self._static[stored.id] = stored
        self._index, self._free = None, None
        return stored

    def remove(self, id: str) -> bool:
        removed = self._static.pop(id, None) is not None
        if self.store is not None:
            removed = self.store.remove(id) or removed
        self._index, self._free = None, None
        return removed

    def _ranker(self) -> tuple[list[Example], Retriever]:
        with self._lock:
            if self._index is None:
                examples = self.examples
                docs = [Tool(name=f"e{i}", description=e.request) for i, e in enumerate(examples)]
                self._index = (examples, make_retriever(self.retriever_kind, docs))
            return self._index

    def nearest(self, request: str, k: int = 3, *, exclude: Iterable[str] = (), tool: str | None = None) -> list[ScoredExample]:
        """The ``k`` examples most similar to ``request``, best first; never an id in ``exclude``,
        never one whose request is ``request`` itself; with ``tool``, only examples that call it."""
        if k < 1 or len(self) == 0:
            return []
        examples, ranker = self._ranker()
        banned, asked = set(exclude), normalize(request)
        found: list[ScoredExample] = []
        depth = min(len(examples), k + len(banned) + 16)
        while True:
            hits = ranker.search(request, depth)
            found = []
            for hit in hits:
                e = examples[int(hit.name[1:])]
                if e.id in banned or e.key == asked or (tool is not None and tool not in e.tools):
                    continue
                found.append(ScoredExample(e, hit.score))
                if len(found) == k:
                    break
            if len(found) == k or depth >= len(examples) or len(hits) < depth:
                break
            depth = min(len(examples), depth * 4)
        if self.store is not None and found:
            self.store.touch(s.example.id for s in found)
        return found

    def free_parameters(self, threshold: float = 0.5) -> set[tuple[str, str]]:
        """The ``(tool, parameter)`` pairs whose literal values the examples mostly did not take
        from their requests (an expression, a SQL query): a planner lets these be free text."""
        if self._free is not None:
            return self._free
        from .spans import request_spans

        seen: dict[tuple[str, str], list[int]] = {}
        for e in self.examples:
            asked, spans = e.request.casefold(), set(request_spans(e.request))
            for node in e.task_nodes:
                for name, value in node.arguments.items():
                    if isinstance(value, str) and not references_in(value):
                        counts = seen.setdefault((node.task, name), [0, 0])
                        counts[0] += value.strip() in spans or value.strip().casefold() in asked
                        counts[1] += 1
        self._free = {key for key, (spans, total) in seen.items() if spans / total < threshold}
        return self._free

    def tools(self) -> set[str]:
        return {t for e in self.examples for t in e.tools}

    def restricted(self, names: Sequence[str] | set[str]) -> ExampleBank:
        """The examples whose every tool is in ``names`` (a bank for a smaller pool)."""
        allowed = set(names)
        return ExampleBank([e for e in self._static.values() if set(e.tools) <= allowed], store=self.store,
                           retriever=self.retriever_kind, source=self.source)  # fmt: skip


__all__ = ["ExampleBank", "RetrieverKind", "ScoredExample"]
