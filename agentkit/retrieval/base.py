"""Shared pieces of the retrievers: the result type, the Protocol, documents and manifests.

Every retriever indexes the same text per tool (:func:`tool_text`) so lexical and dense
rankings are comparable, and every saved index carries a manifest with the tool names
and a hash of those texts: an index built from other documents is *stale*, and loading
it against the current tools says so instead of silently returning wrong tools.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError
from ..tool import Tool

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class RetrievalError(ConfigError):
    """A retrieval index cannot be built, saved or loaded: the developer must rebuild or fix it."""


class StaleIndexError(RetrievalError):
    """A saved index was built from documents that differ from the current tools."""


@dataclass(frozen=True, slots=True)
class ScoredTool:
    """One retrieved tool. Ranks are 1-based; None when that method did not rank it (or did not run)."""

    name: str
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None


@runtime_checkable
class Retriever(Protocol):
    """Ranks a fixed pool of tools for a free-text request."""

    names: list[str]

    def search(self, query: str, k: int = 10) -> list[ScoredTool]: ...

    def save(self, path: str | Path) -> None: ...


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_./:\-]+")


def split_identifier(name: str) -> str:
    """``math.factorial`` -> ``math factorial``, ``getWeatherNow`` -> ``get Weather Now``.

    Tool names are identifiers; queries are prose. Splitting lets both BM25 and the
    WordPiece tokenizer match "weather" inside ``get_current_weather``.
    """
    return _SEPARATORS.sub(" ", _CAMEL.sub(" ", name)).strip()


def tool_text(t: Tool) -> str:
    """The text indexed for a tool: its split name, then :meth:`Tool.document`.

    The split name comes first so that truncation (dense models read ~128 tokens)
    never drops it.
    """
    return f"{split_identifier(t.name)}\n{t.document()}"


def as_tools(tools: Iterable[Tool]) -> list[Tool]:
    """A list of tools from a sequence or a ToolRegistry; names must be unique."""
    out = list(tools)
    seen: set[str] = set()
    for t in out:
        if not isinstance(t, Tool):
            raise RetrievalError(f"expected Tool objects, got {type(t).__name__}")
        if t.name in seen:
            raise RetrievalError(f"duplicate tool name {t.name!r}")
        seen.add(t.name)
    return out


def doc_hash(texts: Sequence[str], names: Sequence[str]) -> str:
    """sha256 over names and texts: any added, removed, renamed or edited tool changes it."""
    h = hashlib.sha256()
    for name, text in zip(names, texts, strict=True):
        h.update(name.encode())
        h.update(b"\0")
        h.update(text.encode())
        h.update(b"\1")
    return h.hexdigest()


def tools_hash(tools: Iterable[Tool]) -> str:
    tl = list(tools)
    return doc_hash([tool_text(t) for t in tl], [t.name for t in tl])


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / MANIFEST).write_text(json.dumps({"format_version": FORMAT_VERSION, **data}, indent=1))


def read_manifest(path: str | Path, kind: str | None = None) -> dict[str, Any]:
    file = Path(path) / MANIFEST
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        raise RetrievalError(f"no retrieval index at {path} (missing {MANIFEST})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise RetrievalError(f"unreadable index manifest {file}: {exc}") from None
    if data.get("format_version") != FORMAT_VERSION:
        raise RetrievalError(f"index {path} has format {data.get('format_version')}, expected {FORMAT_VERSION}")
    if kind is not None and data.get("kind") != kind:
        raise RetrievalError(f"index {path} is a {data.get('kind')!r} index, not {kind!r}")
    return data


def check_fresh(manifest: dict[str, Any], tools: Iterable[Tool] | None, path: str | Path) -> None:
    """Raise StaleIndexError when ``tools`` (if given) are not the documents the index was built from."""
    if tools is None:
        return
    current = tools_hash(as_tools(tools))
    if current != manifest["doc_hash"]:
        raise StaleIndexError(
            f"index at {path} is stale: it was built from {len(manifest['names'])} tools with document hash "
            f"{manifest['doc_hash'][:12]}, the current tools hash to {current[:12]}; rebuild it"
        )


def is_stale(path: str | Path, tools: Iterable[Tool]) -> bool:
    """True when the index at ``path`` does not match ``tools`` (or is missing/unreadable)."""
    try:
        check_fresh(read_manifest(path), tools, path)
    except RetrievalError:
        return True
    return False
