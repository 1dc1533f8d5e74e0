"""Retrievers by name: the built-in ``hybrid``, ``bm25`` and ``dense``, and any a plugin registers.

``build_retriever(name, tools)`` is what ``Agent(retriever=NAME)``, ``--retriever`` and the
config file's ``retriever`` key use. :func:`register_retriever` (or an
``agentkit.retrievers`` entry point) adds one: a factory ``factory(tools) -> Retriever``
over a list of :class:`~agentkit.tool.Tool`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import ConfigError
from ..plugins import ENTRY_POINT_GROUPS, Registry
from ..tool import Tool
from .base import Retriever, as_tools, tools_hash
from .hybrid import load_or_build, make_retriever

RetrieverFactory = Callable[[list[Tool]], Retriever]

# From this many tools an uncached dense index (about 50 documents/s on 2 cores) is built in
# the background while BM25 serves.
BACKGROUND_INDEX_AT = 1000
# Below this many tools an index is built in memory each time (fast enough not to cache).
CACHE_INDEX_AT = 50


def cached(kind: str) -> RetrieverFactory:
    """A built-in retriever whose index is persisted under the cache dir, keyed by the tools' documents.

    Dense embedding is the slow part of building an index, so a pool is embedded once and
    later agents over the same tools load it; a large new pool answers by BM25 at once and
    fuses dense ranks when they are ready.
    """

    def build(tools: list[Tool]) -> Retriever:
        from ..paths import cache_dir

        if kind == "bm25" or len(tools) < CACHE_INDEX_AT:
            return make_retriever(kind, tools)  # type: ignore[arg-type]
        return load_or_build(
            kind, tools, cache_dir() / "indexes" / f"{kind}-{tools_hash(tools)[:16]}",  # type: ignore[arg-type]
            background=len(tools) >= BACKGROUND_INDEX_AT,
        )  # fmt: skip

    build.__name__ = f"{kind}_retriever"
    return build


RETRIEVERS: Registry[RetrieverFactory] = Registry("retriever", ENTRY_POINT_GROUPS["retriever"])
_BUILT_IN = {kind: cached(kind) for kind in ("hybrid", "bm25", "dense")}
for _kind, _factory in _BUILT_IN.items():
    RETRIEVERS.register(_kind, _factory)


def register_retriever(name: str, factory: RetrieverFactory) -> None:
    """Make retriever ``name`` build ``factory(tools)``."""
    RETRIEVERS.register(name, factory)


def build_retriever(name: str, tools: Iterable[Tool], *, cache: bool = True) -> Retriever:
    """The retriever ``name`` over ``tools``; ConfigError for an unknown name or a factory that returns no retriever.

    ``cache=False`` builds a built-in retriever in memory, complete, without the index cache
    (for a one-off search); plugins' retrievers are built by their factory either way.
    """
    factory = RETRIEVERS.get(name)
    if not cache and factory is _BUILT_IN.get(name):
        return make_retriever(name, as_tools(tools))  # type: ignore[arg-type]
    retriever = factory(as_tools(tools))
    if not callable(getattr(retriever, "search", None)):
        raise ConfigError(f"retriever {name!r} built a {type(retriever).__name__}, which has no search() method")
    return retriever


__all__ = ["BACKGROUND_INDEX_AT", "RETRIEVERS", "RetrieverFactory", "build_retriever", "register_retriever"]
