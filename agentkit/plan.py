"""The planned task graph, in TaskBench's structure: steps, nodes, links.

Nodes are tool calls; an argument value may reference an earlier node's output as
``<node-j>`` (0-based). Internally links are node *positions* (tool names are
ambiguous when a tool is used twice); :meth:`TaskPlan.to_taskbench` writes the
name-based format TaskBench's scorer reads.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, Field

NODE_REF = re.compile(r"<node-(\d+)>")

Dependency = Literal["resource", "temporal"]


def references_in(value: Any) -> list[int]:
    """Node indices referenced (``<node-j>``) anywhere inside an argument value."""
    if isinstance(value, str):
        return [int(m) for m in NODE_REF.findall(value)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in references_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in references_in(v)]
    return []


class TaskNode(BaseModel):
    """One tool call of the plan."""

    task: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def references(self) -> list[int]:
        return sorted({r for v in self.arguments.values() for r in references_in(v)})


class TaskLink(BaseModel):
    """A dependency: node ``source`` must finish before node ``target`` (positions)."""

    source: int
    target: int


class TaskPlan(BaseModel):
    """A request decomposed into steps and a graph of tool calls."""

    task_steps: list[str] = Field(default_factory=list)
    task_nodes: list[TaskNode] = Field(default_factory=list)
    task_links: list[TaskLink] = Field(default_factory=list)

    def reference_links(self) -> set[tuple[int, int]]:
        """Links implied by ``<node-j>`` references (self-references excluded)."""
        return {(r, i) for i, node in enumerate(self.task_nodes) for r in node.references() if r != i}

    def dependencies(self) -> set[tuple[int, int]]:
        """Every ordering constraint: explicit links plus references."""
        return {(link.source, link.target) for link in self.task_links} | self.reference_links()

    def to_networkx(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for i, node in enumerate(self.task_nodes):
            g.add_node(i, task=node.task)
        g.add_edges_from(
            (s, t) for s, t in self.dependencies() if 0 <= s < len(self.task_nodes) and 0 <= t < len(self.task_nodes)
        )
        return g

    def to_taskbench(self, dependency: Dependency = "resource") -> dict[str, Any]:
        """The ``result`` object of TaskBench's prediction format.

        Resource domains take arguments as a list of values; temporal (dailylifeapis)
        as ``{"name", "value"}`` objects.
        """
        nodes: list[dict[str, Any]] = []
        for node in self.task_nodes:
            if dependency == "temporal":
                args: list[Any] = [{"name": k, "value": v} for k, v in node.arguments.items()]
            else:
                args = list(node.arguments.values())
            nodes.append({"task": node.task, "arguments": args})
        n = len(self.task_nodes)
        links = [
            {"source": self.task_nodes[s].task, "target": self.task_nodes[t].task}
            for s, t in sorted(self.dependencies())
            if 0 <= s < n and 0 <= t < n
        ]
        return {"task_steps": list(self.task_steps), "task_nodes": nodes, "task_links": links}


__all__ = ["NODE_REF", "TaskLink", "TaskNode", "TaskPlan", "references_in"]
