"""``bench bfcl --examples``: other samples of the same category as the caller's demonstrations.

Each category's samples with a possible answer become an example bank (the question as the
request, the first possible value of every argument as the call). A sample is shown the ``k``
nearest *other* samples of its category (its own id and identical questions are excluded by the
bank), with their functions' signatures, in place of the prompt's fixed examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agentkit.examples import Example, ExampleBank
from agentkit.plan import TaskNode

from .bfcl_data import BfclSample


def question(sample: BfclSample) -> str:
    return "\n".join(m.content for m in sample.messages if m.role == "user") or sample.messages[-1].content


def _call(truth: dict[str, Any]) -> TaskNode:
    name, args = next(iter(truth.items()))
    values = {k: v[0] for k, v in (args or {}).items() if isinstance(v, list) and v and v[0] != ""}
    return TaskNode(task=name, arguments=values)


def category_banks(samples: Iterable[BfclSample]) -> dict[str, ExampleBank]:
    """One bank per category, over the samples that have a possible answer."""
    grouped: dict[str, list[Example]] = {}
    signatures: dict[str, str] = {}
    for s in samples:
        if not s.ground_truth:
            continue
        grouped.setdefault(s.category, []).append(
            Example(id=s.id, request=question(s), task_nodes=[_call(t) for t in s.ground_truth if isinstance(t, dict) and t])
        )
        signatures[s.id] = "; ".join(_signature(f) for f in s.functions)
    banks = {c: ExampleBank(examples, retriever="bm25") for c, examples in grouped.items()}
    for bank in banks.values():
        bank.signatures = signatures  # type: ignore[attr-defined]
    return banks


def _signature(function: dict[str, Any]) -> str:
    params = function.get("parameters", {})
    required = set(params.get("required", []))
    parts = [f"{n}: {p.get('type', 'any')}{', required' if n in required else ''}" for n, p in params.get("properties", {}).items()]
    return f"{function.get('name')}({'; '.join(parts)})"


def demonstrations(bank: ExampleBank | None, sample: BfclSample, k: int) -> list[dict[str, str]]:
    """The ``k`` nearest other samples as prompt demonstrations: functions, user turn, answer."""
    if bank is None:
        return []
    shown = []
    for found in bank.nearest(question(sample), k, exclude=[sample.id]):
        e = found.example
        calls = [{"function": n.task, "arguments": n.arguments} for n in e.task_nodes]
        answer = calls[0] if len(calls) == 1 else {"calls": calls}
        shown.append({"functions": getattr(bank, "signatures", {}).get(e.id, ""), "user": e.request,
                      "answer": json.dumps(answer, ensure_ascii=False, default=str)})  # fmt: skip
    return shown


__all__ = ["category_banks", "demonstrations", "question"]
