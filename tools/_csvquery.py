"""The small query engine behind ``csv_query``: conditions, projection, aggregation, grouping, sorting.

Values compare as numbers when both sides read as numbers, else as case-insensitive
text, so ``"price > 9"`` and ``"city == paris"`` both do what a person means.

Rows stream through once and only what the answer needs is kept: the first ``limit``
rows, or a sorted buffer of at most ``2 * limit + 1024`` rows, or one accumulator per
group. A 50 MB file therefore costs megabytes, not gigabytes, and the scan stops at a
deadline instead of running on after the tool's timeout has given up on it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._common import shown

MAX_CONDITIONS = 20
MAX_CONDITION_CHARS = 1_000
MAX_GROUPS = 10_000
_CHECK_EVERY = 1_024  # rows between deadline checks

# Searched, never matched from the start with lazy groups around it: the old pattern
# ``(.+?)\s*(op|\s+contains\s+)\s*(.*?)\s*$`` backtracked cubically on long runs of spaces.
_OPERATOR = re.compile(r"==|!=|>=|<=|=|>|<|\scontains\s", re.IGNORECASE)

Row = list[str]


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "")) if value not in (None, "") else None
    except ValueError:
        return None


def _compare(op: str, cell: str, wanted_number: float | None, wanted_folded: str) -> bool:
    if op == "contains":
        return wanted_folded in (cell or "").casefold()
    a = _number(cell)
    left, right = (a, wanted_number) if a is not None and wanted_number is not None else ((cell or "").casefold(), wanted_folded)
    if op in ("==", "="):
        return left == right
    if op == "!=":
        return left != right
    if isinstance(left, str) != isinstance(right, str):
        return False
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]  # type: ignore[operator]


def parse_condition(condition: str) -> tuple[str, str, str]:
    """``"age > 30"`` as ``("age", ">", "30")``, in time linear in the condition's length."""
    if len(condition) > MAX_CONDITION_CHARS:
        raise ValueError(f"condition is {len(condition)} characters, over the limit of {MAX_CONDITION_CHARS}")
    text = condition.strip()
    m = _OPERATOR.search(text, 1)
    column = text[: m.start()].strip() if m else ""
    if not m or not column:
        raise ValueError(f"cannot read condition {condition!r}; write 'column op value', e.g. 'age > 30'")
    return column, m.group().strip().lower(), text[m.end() :].strip().strip("\"'")


class Columns:
    """A header row: names to positions (the last of repeated names wins, as with csv.DictReader)."""

    def __init__(self, fields: list[str]):
        self.fields = fields
        self.index = {name: i for i, name in enumerate(fields)}

    def resolve(self, name: str, among: list[str] | None = None) -> str:
        names = self.fields if among is None else among
        if name in names:
            return name
        folded = {f.casefold(): f for f in names}
        if name.strip().casefold() in folded:
            return folded[name.strip().casefold()]
        listed = ", ".join(n[:40] for n in names[:20]) + (f", ... ({len(names)} in all)" if len(names) > 20 else "")
        raise ValueError(f"unknown column {shown(name)} (columns: {listed})")

    def getter(self, name: str) -> Callable[[Row], str | None]:
        i = self.index[name]
        return lambda row: row[i] if i < len(row) else None


def _predicate(condition: str, cols: Columns) -> Callable[[Row], bool]:
    column, op, wanted = parse_condition(condition)
    cell = cols.getter(cols.resolve(column))
    number, folded = _number(wanted), wanted.casefold()
    return lambda row: _compare(op, cell(row) or "", number, folded)


@dataclass
class _Totals:
    """A streaming aggregate of one group: enough for count, sum, mean, min and max."""

    rows: int = 0
    n: int = 0
    total: float = 0
    low: float | None = None
    high: float | None = None

    def add(self, cell: str | None, column: str | None) -> None:
        self.rows += 1
        if column is None or cell in (None, ""):
            return
        number = _number(cell)
        if number is None:
            raise ValueError(f"column {column!r} has a non-numeric value {cell!r}")
        self.n, self.total = self.n + 1, self.total + number
        self.low = number if self.low is None else min(self.low, number)
        self.high = number if self.high is None else max(self.high, number)

    def value(self, kind: str) -> float | int | None:
        if kind == "count":
            return self.rows
        if not self.n:
            return None
        result = {"sum": self.total, "mean": self.total / self.n, "min": self.low, "max": self.high}[kind]
        return float(f"{result:.12g}")


class _TopRows:
    """The first ``limit`` rows in sort order, kept in a buffer trimmed as it fills (stable, like list.sort).

    Rows sort as numbers when every sort value reads as a number, else as folded text;
    which one holds is known only at the end, so both orders are kept until a
    non-number shows up.
    """

    def __init__(self, key: str, limit: int, descending: bool):
        self.key, self.limit, self.descending = key, limit, descending
        self.numeric: list[dict[str, Any]] | None = []
        self.text: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.text.append(row)
        if self.numeric is not None:
            if _number(row.get(self.key)) is None:
                self.numeric = None
            else:
                self.numeric.append(row)
        if len(self.text) >= 2 * self.limit + 1024:
            self.text = self._sorted(self.text, numeric=False)[: self.limit]
            if self.numeric is not None:
                self.numeric = self._sorted(self.numeric, numeric=True)[: self.limit]

    def _sorted(self, rows: list[dict[str, Any]], *, numeric: bool) -> list[dict[str, Any]]:
        def key(r: dict[str, Any]) -> Any:
            return _number(r.get(self.key)) if numeric else str(r.get(self.key) or "").casefold()

        return sorted(rows, key=key, reverse=self.descending)

    def result(self) -> list[dict[str, Any]]:
        if self.numeric is not None:
            return self._sorted(self.numeric, numeric=True)[: self.limit]
        return self._sorted(self.text, numeric=False)[: self.limit]


def _matching(rows: Iterable[Row], predicates: list[Callable[[Row], bool]], deadline: float | None) -> Iterable[Row]:
    for i, row in enumerate(rows):
        if deadline is not None and i % _CHECK_EVERY == 0 and time.monotonic() > deadline:
            raise TimeoutError(f"the query ran over its time limit after {i} rows")
        if row and all(p(row) for p in predicates):
            yield row


def _aggregated(rows: Iterable[Row], cols: Columns, aggregate: str, aggregate_column: str | None,
                group_by: str | None) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    target = cols.resolve(aggregate_column) if aggregate_column else None
    if target is None and aggregate != "count":
        raise ValueError(f"aggregate {aggregate!r} needs aggregate_column")
    name = aggregate if target is None else f"{aggregate}_{target}"
    value = cols.getter(target) if target else (lambda row: None)
    key = cols.resolve(group_by) if group_by is not None else None
    group = cols.getter(key) if key else (lambda row: "")
    groups: dict[str, _Totals] = {}
    matched = 0
    for row in rows:
        matched += 1
        label = group(row) or ""
        if label not in groups and len(groups) >= MAX_GROUPS:
            raise ValueError(f"group_by {group_by!r} makes over {MAX_GROUPS} groups")
        groups.setdefault(label, _Totals()).add(value(row), target)
    if key is None:
        return [{name: groups.get("", _Totals()).value(aggregate)}], matched
    return [{key: g, name: totals.value(aggregate)} for g, totals in sorted(groups.items())], matched


def query_rows(
    rows: Iterable[Row],
    fields: list[str],
    *,
    columns: list[str] | None,
    where: list[str],
    aggregate: str | None,
    aggregate_column: str | None,
    group_by: str | None,
    order_by: str | None,
    descending: bool,
    limit: int,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Filter, then aggregate (optionally per group) or project; then sort and cut to ``limit``."""
    if len(where) > MAX_CONDITIONS:
        raise ValueError(f"{len(where)} conditions, over the limit of {MAX_CONDITIONS}")
    cols = Columns(fields)
    matching = _matching(rows, [_predicate(c, cols) for c in where], deadline)
    if aggregate is None and group_by is not None:
        aggregate = "count"
    if aggregate is not None:
        out, matched = _aggregated(matching, cols, aggregate, aggregate_column, group_by)
        header = list(out[0])
        if order_by is not None:
            ranked = _TopRows(cols.resolve(order_by, header), len(out), descending)
            for r in out:
                ranked.add(r)
            out = ranked.result()
        return {"columns": header, "rows": out[:limit], "matched": matched, "truncated": len(out) > limit}
    keep = [cols.resolve(c) for c in columns] if columns else list(fields)
    cells = [(c, cols.getter(c)) for c in keep]
    top = _TopRows(cols.resolve(order_by, keep), limit, descending) if order_by is not None else None
    first: list[dict[str, Any]] = []
    matched = 0
    for row in matching:
        matched += 1
        projected = {c: get(row) for c, get in cells}
        if top is not None:
            top.add(projected)
        elif len(first) < limit:
            first.append(projected)
    header = keep if matched or columns else []
    return {"columns": header, "rows": top.result() if top else first, "matched": matched, "truncated": matched > limit}


__all__ = ["MAX_CONDITIONS", "MAX_CONDITION_CHARS", "MAX_GROUPS", "parse_condition", "query_rows"]
