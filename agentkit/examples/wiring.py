"""What an agent's ``examples=`` and ``learn=`` mean: the bank it plans from, and what a run adds to it.

``examples`` is a bank, or sources of one: ``"builtin"`` (the worked examples of every shipped
pack whose tools are all in the pool), a bank or TaskBench file, or a list of these. With
``learn=True`` examples learned from runs are kept in SQLite (default
``~/.cache/agentkit/examples.sqlite``), per tool pool, and shown like the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentkit.paths import cache_dir
from agentkit.plan import TaskNode, TaskPlan, references_in
from agentkit.registry import ToolRegistry

from .bank import ExampleBank
from .example import Example, read_examples
from .packs import PACK_BANKS, pack_bank
from .store import ExampleStore, pool_key

BUILTIN = "builtin"
ExamplesSpec = ExampleBank | str | Path | Sequence[str | Path] | None


def store_path() -> Path:
    return cache_dir() / "examples.sqlite"


def builtin_examples(registry: ToolRegistry) -> list[Example]:
    """The shipped packs' examples whose every tool is in ``registry``."""
    names = set(registry.names)
    return [e for pack in PACK_BANKS for e in pack_bank(pack) if set(e.tools) <= names]


def build_bank(spec: ExamplesSpec, registry: ToolRegistry, *, learn: bool = False, store: str | Path | None = None) -> ExampleBank | None:
    """The bank for an agent over ``registry``; None when there are no examples and nothing to learn."""
    if isinstance(spec, ExampleBank):
        if learn and spec.store is None:
            spec.store = ExampleStore(store or store_path(), pool=pool_key(registry))
        return spec
    sources = [] if spec is None else [spec] if isinstance(spec, str | Path) else list(spec)
    examples: list[Example] = []
    for source in sources:
        if str(source) == BUILTIN:
            examples += builtin_examples(registry)
        else:
            examples += [e for e in read_examples(source, registry=registry) if set(e.tools) <= set(registry.names)]
    if not examples and not learn:
        return None
    kept = ExampleStore(store or store_path(), pool=pool_key(registry)) if learn else None
    return ExampleBank(examples, store=kept, source=", ".join(str(s) for s in sources))


def worth_learning(result: Any) -> bool:
    """Only a run that fully worked teaches: every node succeeded, the answer is grounded in what the
    tools returned, and nothing was rejected. Failed, partial, unsolvable and rejected runs never do."""
    if getattr(result, "status", None) is None or str(getattr(result.status, "value", result.status)) != "ok":
        return False
    if not getattr(result, "grounded", False) or result.plan is None or not result.nodes:
        return False
    return all(str(getattr(n.status, "value", n.status)) == "ok" for n in result.nodes)


def executed_plan(result: Any) -> TaskPlan:
    """The plan as it ran: each node's tool is the one that succeeded (recovery may have swapped the
    planned one), with the arguments it ran with, its ``<node-j>`` references kept."""
    plan: TaskPlan = result.plan
    ran = {n.index: n for n in result.nodes}
    nodes = []
    for i, planned in enumerate(plan.task_nodes):
        node = ran.get(i)
        if node is None or node.tool == planned.task:
            nodes.append(planned)
            continue
        args = {k: planned.arguments[k] if references_in(planned.arguments.get(k)) else v for k, v in node.arguments.items()}
        nodes.append(TaskNode(task=node.tool, arguments=args))
    return plan.model_copy(update={"task_nodes": nodes})


def learn_from(bank: ExampleBank | None, result: Any) -> Example | None:
    """Add the plan the run executed to ``bank`` when :func:`worth_learning`; returns the stored example."""
    if bank is None or bank.store is None or not worth_learning(result):
        return None
    return bank.add(Example.from_plan(result.request, executed_plan(result)))


__all__ = ["BUILTIN", "ExamplesSpec", "build_bank", "builtin_examples", "executed_plan", "learn_from", "store_path", "worth_learning"]
