"""ToolGraph: which tool can feed which, on networkx.

Type compatibility is stored through resource-type nodes (tool -> type -> tool)
instead of materialising every producer x consumer pair: with 20,000 tools that
share the type ``text`` the pairwise graph would hold hundreds of millions of
edges, while this one holds one edge per (tool, type). Explicit links (TaskBench
``graph_desc.json``) are direct tool -> tool edges.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from .errors import UnknownToolError
from .registry import ToolRegistry

TOOL = "tool"
TYPE = "type"


def _type_node(resource: str) -> str:
    return f"type:{resource}"


class ToolGraph:
    """Directed tool graph: edge A -> B when an output of A can be an input of B."""

    def __init__(self, registry: ToolRegistry, links: Iterable[tuple[str, str]] = ()):
        self.registry = registry
        g = nx.DiGraph()
        g.add_nodes_from((t.name for t in registry), kind=TOOL)
        for t in registry:
            for out in t.output_types:
                g.add_node(_type_node(out), kind=TYPE, resource=out)
                g.add_edge(t.name, _type_node(out))
            for inp in t.input_types:
                g.add_node(_type_node(inp), kind=TYPE, resource=inp)
                g.add_edge(_type_node(inp), t.name)
        for source, target in links:
            for name in (source, target):
                if name not in registry:
                    raise UnknownToolError(name, registry.names)
            g.add_edge(source, target, explicit=True)
        self.graph = g

    def _check(self, name: str) -> None:
        if name not in self.registry:
            raise UnknownToolError(name, self.registry.names)

    def successors(self, name: str) -> set[str]:
        """Tools that can consume an output of ``name``."""
        self._check(name)
        out: set[str] = set()
        for nxt in self.graph.successors(name):
            if self.graph.nodes[nxt]["kind"] == TOOL:
                out.add(nxt)
            else:
                out.update(self.graph.successors(nxt))
        return out

    def predecessors(self, name: str) -> set[str]:
        """Tools whose output ``name`` can consume."""
        self._check(name)
        out: set[str] = set()
        for prev in self.graph.predecessors(name):
            if self.graph.nodes[prev]["kind"] == TOOL:
                out.add(prev)
            else:
                out.update(self.graph.predecessors(prev))
        return out

    def shared_types(self, source: str, target: str) -> set[str]:
        """Resource types that ``source`` produces and ``target`` consumes."""
        self._check(source)
        self._check(target)
        a, b = self.registry.get(source), self.registry.get(target)
        return set(a.output_types) & set(b.input_types)

    def feeding_signature(self, name: str) -> tuple[frozenset[str], str | None]:
        """What :meth:`can_feed` depends on for ``name`` as a source: its output types, and its
        name when it has explicit links (tools with equal signatures feed exactly the same tools)."""
        self._check(name)
        explicit = any(self.graph.nodes[n]["kind"] == TOOL for n in self.graph.successors(name))
        return frozenset(self.registry.get(name).output_types), name if explicit else None

    def compatible(self, source: str, target: str) -> bool:
        """Whether a dependency source -> target is type-sound: :meth:`can_feed`, except that a
        tool declaring no output types (or a target declaring no input types) links freely."""
        a, b = self.registry.get(source), self.registry.get(target)
        return not (a.output_types and b.input_types) or self.can_feed(source, target)

    def can_feed(self, source: str, target: str) -> bool:
        """Whether ``source``'s output may flow into ``target`` (explicit link or shared type)."""
        self._check(source)
        self._check(target)
        return self.graph.has_edge(source, target) or bool(self.shared_types(source, target))

    def tool_graph(self, names: Iterable[str] | None = None) -> nx.DiGraph:
        """A tools-only DiGraph (materialised pairs) over ``names`` (default: every tool).

        Meant for small subsets, e.g. the retrieved tools of one request.
        """
        chosen = list(names) if names is not None else self.registry.names
        sub = nx.DiGraph()
        sub.add_nodes_from(chosen)
        chosen_set = set(chosen)
        for name in chosen:
            for nxt in self.successors(name) & chosen_set:
                sub.add_edge(name, nxt, types=sorted(self.shared_types(name, nxt)))
        return sub

    @property
    def number_of_tools(self) -> int:
        return len(self.registry)


__all__ = ["ToolGraph"]
