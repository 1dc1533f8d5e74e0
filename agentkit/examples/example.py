"""One solved request in TaskBench form, and the readers for the files that hold them.

An :class:`Example` is a request with its plan (steps, nodes with named arguments, links by
position). Files are read as they are: TaskBench's ``data.json``/``data.jsonl`` (arguments as
bare values or ``{"name", "value"}`` objects, links by tool name; the request is the
``user_request`` of a ``user_requests.jsonl`` beside it, else the ``instruction``) and the
bank's own JSONL (``{"id", "request", "task_steps", "task_nodes": [{"task", "arguments":
{...}}], "task_links": [{"source": 0, "target": 1}]}``; links by position or by tool name).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentkit.errors import ConfigError
from agentkit.plan import TaskLink, TaskNode, TaskPlan, references_in
from agentkit.planning import to_task_plan
from agentkit.registry import ToolRegistry

_SPACES = re.compile(r"\s+")
_POSITIONAL = re.compile(r"arg(\d+)$")
# A gold placeholder standing for an earlier output ("classified_content", "translated_text").
_PLACEHOLDER = re.compile(r"[a-z]+(?:_[a-z]+)+")


def normalize(request: str) -> str:
    """The form requests are compared in: case and spacing do not make a request new."""
    return _SPACES.sub(" ", request).strip().casefold()


def example_id(request: str) -> str:
    return hashlib.sha1(normalize(request).encode()).hexdigest()[:12]


class Example(BaseModel):
    """A solved request: what was asked and the plan that answered it."""

    id: str
    request: str = Field(min_length=1)
    task_steps: list[str] = Field(default_factory=list)
    task_nodes: list[TaskNode] = Field(min_length=1)
    task_links: list[TaskLink] = Field(default_factory=list)

    @property
    def tools(self) -> list[str]:
        """The tools the plan calls, in node order, each once."""
        return list(dict.fromkeys(n.task for n in self.task_nodes))

    @property
    def key(self) -> str:
        return normalize(self.request)

    def plan(self) -> TaskPlan:
        return TaskPlan(task_steps=list(self.task_steps), task_nodes=list(self.task_nodes), task_links=list(self.task_links))

    @classmethod
    def from_plan(cls, request: str, plan: TaskPlan, *, id: str | None = None) -> Example:
        return cls(id=id or example_id(request), request=request, task_steps=plan.task_steps,
                   task_nodes=plan.task_nodes, task_links=plan.task_links)  # fmt: skip

    def record(self) -> dict[str, Any]:
        """The bank's own JSONL form (links by position)."""
        return {
            "id": self.id,
            "request": self.request,
            "task_steps": self.task_steps,
            "task_nodes": [{"task": n.task, "arguments": n.arguments} for n in self.task_nodes],
            "task_links": [{"source": link.source, "target": link.target} for link in self.task_links],
        }


def _named(node: TaskNode, registry: ToolRegistry | None) -> TaskNode:
    """TaskBench's positional arguments (``arg0``, ``arg1``) named after the tool's parameters, in order."""
    if registry is None or node.task not in registry or not all(_POSITIONAL.match(k) for k in node.arguments):
        return node
    names = registry.get(node.task).parameter_names
    args = {}
    for key, value in node.arguments.items():
        position = int(_POSITIONAL.match(key).group(1))  # type: ignore[union-attr]
        args[names[position] if position < len(names) else key] = value
    return TaskNode(task=node.task, arguments=args)


def clean(example: Example) -> Example:
    """Gold defects out of a demonstration: a snake_case placeholder such as ``"classified_content"``
    that the request never says, in a node with an upstream node, becomes a reference to that node."""
    plan = example.plan()
    upstream: dict[int, int] = {}
    for source, target in sorted(plan.dependencies()):
        upstream.setdefault(target, source)
    text = normalize(example.request)
    nodes = []
    for i, node in enumerate(example.task_nodes):
        args = dict(node.arguments)
        for name, value in args.items():
            if (isinstance(value, str) and i in upstream and not references_in(value)
                    and _PLACEHOLDER.fullmatch(value) and value.replace("_", " ") not in text and value not in text):  # fmt: skip
                args[name] = f"<node-{upstream[i]}>"
        nodes.append(TaskNode(task=node.task, arguments=args))
    return example.model_copy(update={"task_nodes": nodes})


def parse_record(raw: Any, *, request: str | None = None, registry: ToolRegistry | None = None, where: str = "") -> Example:
    """One example from a TaskBench gold line or the bank's own record."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    text = request or raw.get("request") or raw.get("user_request") or raw.get("instruction")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: no request (expected 'request', 'user_request' or 'instruction')")
    links = raw.get("task_links") or []
    positional = isinstance(links, list) and all(
        isinstance(link, dict) and isinstance(link.get("source"), int) and isinstance(link.get("target"), int) for link in links
    )
    nodes = raw.get("task_nodes")
    if isinstance(nodes, dict):  # one upstream line holds an object
        nodes = list(nodes.values())
    if isinstance(nodes, list):  # a bare value for arguments (one upstream line): one positional argument
        nodes = [{**n, "arguments": [n["arguments"]]} if isinstance(n, dict) and isinstance(n.get("arguments"), (str, int, float))
                 else n for n in nodes]  # fmt: skip
    plan, problems = to_task_plan({"task_steps": raw.get("task_steps") or [], "task_nodes": nodes or [],
                                   "task_links": [] if positional else links})  # fmt: skip
    if problems and any(not p.startswith("link ") for p in problems):
        raise ConfigError(f"{where}: {problems[0]}")
    if positional:
        plan.task_links = [TaskLink(source=link["source"], target=link["target"]) for link in links]
    if not plan.task_nodes:
        raise ConfigError(f"{where}: the plan has no task nodes")
    nodes_named = [_named(n, registry) for n in plan.task_nodes]
    steps = [str(s) for s in raw.get("task_steps") or []]
    return Example(id=str(raw.get("id") or example_id(text)), request=text.strip(), task_steps=steps,
                   task_nodes=nodes_named, task_links=plan.task_links)  # fmt: skip


def _lines(path: Path) -> Iterable[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array (data.json of some releases)
        try:
            yield from enumerate(json.loads(text), start=1)
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError:
                raise ConfigError(f"{path}:{number}: not valid JSON") from None


def user_requests(path: Path) -> dict[str, str]:
    """``user_requests.jsonl`` beside a TaskBench data file: the request text upstream sends, by id."""
    found = path.parent / "user_requests.jsonl"
    if not found.is_file():
        return {}
    return {str(row["id"]): row["user_request"] for _, row in _lines(found)
            if isinstance(row, dict) and isinstance(row.get("user_request"), str)}  # fmt: skip


def read_examples(path: str | Path, *, registry: ToolRegistry | None = None) -> list[Example]:
    """Every example of a file (TaskBench ``data.json(l)`` or the bank's JSONL), or of a TaskBench folder."""
    path = Path(path)
    if path.is_dir():
        found = next((path / n for n in ("data.jsonl", "data.json") if (path / n).is_file()), None)
        if found is None:
            raise ConfigError(f"{path}: no data.jsonl or data.json (an example bank file or TaskBench folder)")
        path = found
    if not path.is_file():
        raise ConfigError(f"{path}: no such example file")
    requests = user_requests(path)
    return [
        parse_record(raw, request=requests.get(str(raw.get("id"))) if isinstance(raw, dict) else None,
                     registry=registry, where=f"{path}:{number}")  # fmt: skip
        for number, raw in _lines(path)
    ]


def write_examples(examples: Iterable[Example], path: str | Path) -> int:
    """The bank's JSONL; returns how many were written."""
    lines = [json.dumps(e.record(), ensure_ascii=False) for e in examples]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


__all__ = ["Example", "clean", "example_id", "normalize", "parse_record", "read_examples", "user_requests", "write_examples"]
