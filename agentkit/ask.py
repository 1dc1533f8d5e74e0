"""Asking a person about pending calls in a terminal: the exact arguments, then run, edit or reject.

Shared by ``agentkit run`` and ``agentkit chat``. The arguments are printed as literal
JSON (never as markup), so what the person reads is what will run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .executor import Decision

Ask = Callable[[str], str]
Say = Callable[[str], None]

PROMPT = "run it? [y]es / [n]o / [e]dit arguments: "


def describe(pending: dict[str, Any]) -> str:
    """One pending call, as plain text: step, tool, exact JSON arguments and why it needs a person."""
    arguments = json.dumps(pending.get("arguments", {}), ensure_ascii=True, sort_keys=True)
    index = pending.get("index")
    step = f"step {index + 1}" if isinstance(index, int) else "a step"
    why = f" ({pending['why']})" if pending.get("why") else ""
    return f"approval needed{why}: {step} calls {pending.get('tool')} with {arguments}"


def ask_decisions(pending: Sequence[dict[str, Any]], ask: Ask, say: Say) -> dict[str, Decision]:
    """A decision for every pending call, keyed by interrupt id; end of input rejects."""
    decisions: dict[str, Decision] = {}
    for item in pending:
        say(describe(item))
        decisions[str(item.get("id"))] = _ask_one(ask, say)
    return decisions


def _ask_one(ask: Ask, say: Say) -> Decision:
    while True:
        try:
            answer = ask(PROMPT).strip().lower()
        except EOFError:
            return Decision(approve=False, reason="no answer (end of input)")
        if answer in ("y", "yes"):
            return Decision(approve=True)
        if answer in ("n", "no"):
            try:
                reason = ask("why not? (optional): ").strip()
            except EOFError:
                reason = ""
            return Decision(approve=False, reason=reason or None)
        if answer in ("e", "edit"):
            try:
                text = ask("arguments as JSON: ")
            except EOFError:
                return Decision(approve=False, reason="no answer (end of input)")
            try:
                edited = json.loads(text)
            except json.JSONDecodeError as exc:
                say(f"not JSON: {exc}")
                continue
            if not isinstance(edited, dict):
                say("the arguments must be a JSON object")
                continue
            return Decision(approve=True, arguments=edited)


__all__ = ["ask_decisions", "describe"]
