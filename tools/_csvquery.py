"""The small query engine behind ``csv_query``: conditions, projection, aggregation, grouping, sorting.

Values compare as numbers when both sides read as numbers, else as case-insensitive
text, so ``"price > 9"`` and ``"city == paris"`` both do what a person means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_CONDITION = re.compile(r"^\s*(?P<col>.+?)\s*(?P<op>==|!=|>=|<=|=|>|<|\s+contains\s+)\s*(?P<val>.*?)\s*$", re.I)


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "")) if value not in (None, "") else None
    except ValueError:
        return None


def _compare(op: str, cell: str, wanted: str) -> bool:
    if op == "contains":
        return wanted.casefold() in (cell or "").casefold()
    a, b = _number(cell), _number(wanted)
    left, right = (a, b) if a is not None and b is not None else ((cell or "").casefold(), wanted.casefold())
    if op in ("==", "="):
        return left == right
    if op == "!=":
        return left != right
    if isinstance(left, str) != isinstance(right, str):
        return False
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]  # type: ignore[operator]


def _predicate(condition: str, fields: list[str]) -> Callable[[dict[str, str]], bool]:
    m = _CONDITION.match(condition)
    if not m:
        raise ValueError(f"cannot read condition {condition!r}; write 'column op value', e.g. 'age > 30'")
    column, op, wanted = _column(m["col"], fields), m["op"].strip().lower(), m["val"].strip("\"'")
    return lambda row: _compare(op, row.get(column) or "", wanted)


def _column(name: str, fields: list[str]) -> str:
    if name in fields:
        return name
    folded = {f.casefold(): f for f in fields}
    if name.strip().casefold() in folded:
        return folded[name.strip().casefold()]
    raise ValueError(f"unknown column {name!r} (columns: {', '.join(fields)})")


def _aggregate(kind: str, column: str | None, rows: list[dict[str, str]]) -> float | int | None:
    if kind == "count":
        return len(rows)
    if column is None:
        raise ValueError(f"aggregate {kind!r} needs aggregate_column")
    values = []
    for row in rows:
        cell = row.get(column)
        if cell in (None, ""):
            continue
        number = _number(cell)
        if number is None:
            raise ValueError(f"column {column!r} has a non-numeric value {cell!r}")
        values.append(number)
    if not values:
        return None
    total = {"sum": sum(values), "mean": sum(values) / len(values), "min": min(values), "max": max(values)}[kind]
    return float(f"{total:.12g}")


def query_rows(
    rows: Iterable[dict[str, str]],
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
) -> dict[str, Any]:
    """Filter, then aggregate (optionally per group) or project; then sort and cut to ``limit``."""
    predicates = [_predicate(c, fields) for c in where]
    matched = [row for row in rows if all(p(row) for p in predicates)]
    if aggregate is None and group_by is not None:
        aggregate = "count"
    if aggregate is not None:
        target = _column(aggregate_column, fields) if aggregate_column else None
        name = aggregate if target is None else f"{aggregate}_{target}"
        if group_by is None:
            out = [{name: _aggregate(aggregate, target, matched)}]
        else:
            key = _column(group_by, fields)
            groups: dict[str, list[dict[str, str]]] = {}
            for row in matched:
                groups.setdefault(row.get(key) or "", []).append(row)
            out = [{key: g, name: _aggregate(aggregate, target, members)} for g, members in sorted(groups.items())]
    else:
        keep = [_column(c, fields) for c in columns] if columns else list(fields)
        out = [{c: row.get(c) for c in keep} for row in matched]
    header = list(out[0]) if out else ([_column(c, fields) for c in columns] if columns and aggregate is None else [])
    if order_by is not None:
        sort_key = _column(order_by, header or fields)
        numeric = all(_number(r.get(sort_key)) is not None for r in out)
        out.sort(key=lambda r: _number(r.get(sort_key)) if numeric else str(r.get(sort_key) or "").casefold(), reverse=descending)
    return {"columns": header, "rows": out[:limit], "matched": len(matched), "truncated": len(out) > limit}


__all__ = ["query_rows"]
