"""Answers true to what ran: every number, date and quoted value must come from a tool or the request.

A small model asked to summarise tool results will happily write "15 percent of 240 is
150" after the tool failed. The check here is deliberately literal: an answer may only
contain figures that appear in a successful tool output or in the user's request. When it
does not, the caller replaces the answer with :func:`plain_answer`, built from the outputs
without any model, and marks the run ``grounded=False``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .result import NodeResult, NodeStatus

# A number as people write it: optional sign, thousands separators, decimals, exponent.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|(?<![\w])'([^'\n]{2,200})'(?![\w])")
_OUTPUT_LIMIT = 200_000  # characters of output text searched per node


def _numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals written) for every number in ``text``."""
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0).replace(",", "")
        try:
            value = float(raw)
        except ValueError:  # pragma: no cover - the pattern only matches numbers
            continue
        if math.isfinite(value):
            decimals = len(raw.split(".", 1)[1].split("e")[0].split("E")[0]) if "." in raw else 0
            found.append((value, decimals))
    return found


def _texts(value: Any) -> str:
    if isinstance(value, str):
        return value[:_OUTPUT_LIMIT]
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:_OUTPUT_LIMIT]
    except (TypeError, ValueError, RecursionError):
        return str(value)[:_OUTPUT_LIMIT]


class Evidence:
    """What an answer may state: the request and the successful tools' outputs."""

    def __init__(self, request: str, outputs: Iterable[Any]):
        self.text = "\n".join([request, *(_texts(o) for o in outputs)])
        self.folded = self.text.casefold()
        self.values = [v for v, _ in _numbers(self.text)]

    def has_number(self, value: float, decimals: int) -> bool:
        """Present as written, or as a rounding of a figure in the evidence (3.14 for 3.14159)."""
        for v in self.values:
            if v == value or abs(v - value) <= 1e-9 * max(1.0, abs(v)):
                return True
            if decimals <= 6 and round(v, decimals) == value:
                return True
        return False

    def has_text(self, text: str) -> bool:
        return text.casefold().strip() in self.folded


def ungrounded(answer: str, evidence: Evidence) -> list[str]:
    """The figures and quoted values of ``answer`` that appear nowhere in the evidence."""
    problems: list[str] = []
    rest = answer
    for match in _ISO_DATE.finditer(answer):
        if not evidence.has_text(match.group(0)):
            problems.append(match.group(0))
    rest = _ISO_DATE.sub(" ", rest)
    for match in _QUOTED.finditer(rest):
        quoted = next(g for g in match.groups() if g is not None)
        if not evidence.has_text(quoted):
            problems.append(repr(quoted))
    for value, decimals in _numbers(rest):
        if not evidence.has_number(value, decimals):
            problems.append(f"{value:g}")
    return problems


def unused_request_values(request: str, results: Sequence[NodeResult]) -> list[str]:
    """Numbers and dates of the request that no successful tool call was given.

    "What is 15 percent of 240?" answered by ``percentage_of(15, 15)`` ran fine and its
    answer is "grounded" in its output, yet it is wrong: 240 never reached a tool. A run
    whose tools ignored a figure the user gave is not trusted with a model-written answer.
    """
    args = Evidence("", [r.arguments for r in results if r.status == NodeStatus.OK])
    upstream = Evidence("", successful_outputs(results))  # a value may reach a tool through an earlier one
    missing = [m.group(0) for m in _ISO_DATE.finditer(request) if not (args.has_text(m.group(0)) or upstream.has_text(m.group(0)))]
    for value, decimals in _numbers(_ISO_DATE.sub(" ", request)):
        if not args.has_number(value, decimals):
            missing.append(f"{value:g}")
    return missing


def invented_argument_values(
    request: str, results: Sequence[NodeResult], parameters: Mapping[str, Mapping[str, Any]] | None = None
) -> list[str]:
    """Values in successful calls' arguments that come from neither the request nor an earlier output.

    "What is the square root of 144?" run as ``calculate("12**3")`` answers a question
    nobody asked: 3 came from the model (a demonstration it copied), not from the user.
    Checked: every number and date, and a choice among fixed values (an ``enum``: "lower"
    for a request that says "upper case"). ``parameters`` (tool -> its parameter schemas)
    exempts values left at their schema default.
    """
    # A date's year or day is not a quantity the user gave: days=2024 for "2024-07-04" is invented.
    evidence = Evidence(_ISO_DATE.sub(" (a date) ", request), successful_outputs(results))
    dates = Evidence(request, successful_outputs(results))
    words = set(re.findall(r"\w+", request.casefold()))
    invented: list[str] = []
    for r, name, value, schema in _chosen_arguments(results, parameters):
        if "enum" in schema and isinstance(value, str) and value.casefold() not in words and not evidence.has_text(value):
            invented.append(f"{value!r} (in {r.tool}'s {name})")
            continue
        text = _texts(value)
        invented += [d for d in _ISO_DATE.findall(text) if not dates.has_text(d)]
        invented += [f"{v:g} (in {r.tool}'s {name})" for v, dec in _numbers(_ISO_DATE.sub(" ", text))
                     if not evidence.has_number(v, dec)]  # fmt: skip
    return invented + _reused_numbers(request, results, parameters)


def _chosen_arguments(
    results: Sequence[NodeResult], parameters: Mapping[str, Mapping[str, Any]] | None
) -> Iterator[tuple[NodeResult, str, Any, Mapping[str, Any]]]:
    """(result, name, value, schema) of every argument of a successful call that is not left at its schema default."""
    for r in results:
        if r.status != NodeStatus.OK:
            continue
        schemas = (parameters or {}).get(r.tool, {})
        for name, value in r.arguments.items():
            found = schemas.get(name)
            schema: Mapping[str, Any] = found if isinstance(found, dict) else {}
            if "default" not in schema or schema["default"] != value:
                yield r, name, value, schema


def _reused_numbers(request: str, results: Sequence[NodeResult], parameters: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    """Figures the arguments use more often than the request and earlier outputs give them.

    "Convert 5 kilometers to miles" run as ``calculate("5 * 5")``, or a date's 2024 poured
    into days, hours and minutes: a small model filling every slot with the one number it saw.
    """
    given: dict[float, int] = {}
    for v, _ in _numbers(_ISO_DATE.sub(" ", request)) + [n for o in successful_outputs(results) for n in _numbers(_texts(o))]:
        given[v] = given.get(v, 0) + 1
    used: dict[float, int] = {}
    for _r, _name, value, _schema in _chosen_arguments(results, parameters):
        for v, _ in _numbers(_ISO_DATE.sub(" ", _texts(value))):
            used[v] = used.get(v, 0) + 1
    return [f"{v:g} (used {n} times, given {given[v]})" for v, n in used.items() if v in given and n > given[v]]


def _leaves(value: Any, out: list[Any], limit: int = 200) -> list[Any]:
    if len(out) >= limit:
        return out
    if isinstance(value, dict):
        for v in value.values():
            _leaves(v, out, limit)
    elif isinstance(value, list | tuple):
        for v in value:
            _leaves(v, out, limit)
    elif value is not None and not isinstance(value, bool):
        out.append(value)
    return out


def states_a_result(answer: str, results: Sequence[NodeResult], sinks: Sequence[int] | None = None) -> bool:
    """Whether the answer states something the final steps returned (a figure, or a piece of their text).

    A base model asked to summarise "Thursday" may answer "2024-07-04", or copy its
    prompt's example ("In French, good night is bonne nuit."): grounded, and no answer.
    """
    finals = [r for r in results if r.status == NodeStatus.OK and (sinks is None or r.index in sinks)]
    if not finals:
        return False
    stated = _numbers(answer)

    def says(value: float) -> bool:  # the answer writes ``value``, maybe rounded (3.11 for 3.10686)
        return any(a == value or abs(a - value) <= 1e-9 * max(1.0, abs(value)) or round(value, d) == a for a, d in stated)

    said = " ".join(answer.split())  # case kept: "Hello world" does not state "HELLO WORLD"
    for r in finals:
        for leaf in _leaves(r.output, []):
            if isinstance(leaf, int | float):
                if says(float(leaf)):
                    return True
                continue
            text = " ".join(str(leaf).split())
            if not text:
                continue
            if len(text) <= 80 and (text in said or said in text):
                return True
            words = text.split()
            if any(" ".join(words[i : i + 5]) in said for i in range(max(1, len(words) - 4))):
                return True
            numbers = [v for v, _ in _numbers(text)]
            if numbers and any(says(v) for v in numbers):
                return True
    return False


def successful_outputs(results: Sequence[NodeResult]) -> list[Any]:
    return [r.output for r in results if r.status == NodeStatus.OK]


def _shown(value: Any, limit: int = 300) -> str:
    text = _texts(value)
    return text if len(text) <= limit else text[:limit] + " [...]"


def plain_answer(
    results: Sequence[NodeResult], unsolvable: str | None = None, steps: Sequence[str] = (), *, unverified: bool = False
) -> str:
    """The answer written without a model: what each step returned, or why it did not.

    ``unverified``: it replaces a model answer that could not be trusted, and says so."""

    def step_name(r: NodeResult) -> str:
        what = steps[r.index].strip() if r.index < len(steps) else ""
        if not what or what == r.tool or re.fullmatch(r"(?i)step \d+", what):
            return f"step {r.index + 1} ({r.tool})"
        return f"step {r.index + 1} ({r.tool}: {_shown(what, 80)})"

    ok = [r for r in results if r.status == NodeStatus.OK]
    lines: list[str] = []
    shown_first: NodeResult | None = None
    if unverified:
        lines.append("I could not write an answer I can vouch for; here is what the tools returned:")
    if unsolvable:
        lines.append(f"I couldn't do this with the available tools: {unsolvable}.")
    elif results and not ok:
        shown_first = next((r for r in results if r.status != NodeStatus.SKIPPED), results[0])
        lines.append(f"I couldn't answer, because {step_name(shown_first)} {shown_first.status.value}: "
                     f"{_shown(shown_first.error or 'no result', 300)}")  # fmt: skip
    for r in results:
        if r is shown_first:
            continue
        if r.status == NodeStatus.OK:
            lines.append(f"{step_name(r)} returned: {_shown(r.output)}")
        elif r.status != NodeStatus.SKIPPED or ok:
            lines.append(f"{step_name(r)} {r.status.value}: {_shown(r.error or 'no result', 200)}")
    return "\n".join(lines) if lines else "Nothing was run."


__all__ = [
    "Evidence", "invented_argument_values", "plain_answer", "states_a_result", "successful_outputs", "ungrounded",
    "unused_request_values",
]
