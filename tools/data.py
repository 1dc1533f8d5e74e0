"""Data tools: query a CSV file and a SQLite database, both inside a sandbox root.

SQLite is read-only unless the pack is built with ``writable=True``, enforced three
ways: the database is opened with ``mode=ro``, statements other than SELECT/WITH/
VALUES/EXPLAIN/PRAGMA are refused up front with a clear message, and an authorizer
denies every write, ATTACH and non-schema PRAGMA inside SQLite itself (so ``WITH ...
DELETE`` cannot slip past the keyword check). Queries stop after a time limit.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from ._common import AccessDenied, Sandbox, registry
from ._csvquery import query_rows

MAX_ROWS = 1_000
MAX_FILE_BYTES = 50_000_000
QUERY_SECONDS = 5.0

_READ_KEYWORDS = {"SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"}
_SCHEMA_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"}
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/)*", re.S)
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


def _first_keyword(sql: str) -> str:
    rest = sql[_LEADING_COMMENTS.match(sql).end() :]  # type: ignore[union-attr]
    return (rest.split(None, 1) or [""])[0].split("(")[0].upper()


def _authorizer(writable: bool):
    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY  # would reach files outside the sandbox
        if action == sqlite3.SQLITE_PRAGMA:
            return sqlite3.SQLITE_OK if (arg1 or "").lower() in _SCHEMA_PRAGMAS else sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK if writable or action in _READ_ACTIONS else sqlite3.SQLITE_DENY

    return authorize


def _cell(value: Any) -> Any:
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else value


def build(
    root: str | os.PathLike[str] | None = None,
    *,
    writable: bool = False,
    max_rows: int = MAX_ROWS,
    max_file_bytes: int = MAX_FILE_BYTES,
    query_seconds: float = QUERY_SECONDS,
) -> list[Tool]:
    """The two data tools bound to one sandbox root."""
    box = Sandbox(root)

    def existing(path: str) -> Path:
        real = box.resolve(path)
        if not real.is_file():
            raise FileNotFoundError(f"no file {path!r} in the sandbox")
        if real.stat().st_size > max_file_bytes:
            raise ValueError(f"file {path!r} is over the size limit of {max_file_bytes} bytes")
        return real

    @tool(input_types=["path"], output_types=["table"], cost=0.05, quality=0.9, timeout=query_seconds + 5)
    def csv_query(
        path: str,
        columns: list[str] | None = None,
        where: list[str] | None = None,
        aggregate: Literal["count", "sum", "mean", "min", "max"] | None = None,
        aggregate_column: str | None = None,
        group_by: str | None = None,
        order_by: str | None = None,
        descending: bool = False,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Query a CSV file (with a header row): filter rows, pick columns, aggregate, group, sort.

        Args:
            path: CSV file path, relative to the sandbox root
            columns: columns to return (default: all)
            where: conditions that must all hold, each "column op value" with op one of == != > >= < <= contains, e.g. ["age > 30", "city == Paris"]
            aggregate: aggregate the matching rows: count, sum, mean, min or max
            aggregate_column: the column to aggregate (not needed for count)
            group_by: aggregate per distinct value of this column
            order_by: sort the result by this column
            descending: sort from largest to smallest
            limit: return at most this many rows
        """
        with open(existing(path), newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            result = query_rows(reader, reader.fieldnames or [], columns=columns, where=where or [], aggregate=aggregate,
                                aggregate_column=aggregate_column, group_by=group_by, order_by=order_by,
                                descending=descending, limit=max(0, min(limit, max_rows)))  # fmt: skip
        return result

    @tool(input_types=["path", "text"], output_types=["table"], cost=0.1, quality=0.9, timeout=query_seconds + 5)
    def sqlite_query(database: str, sql: str, parameters: list[str | int | float | None] | None = None) -> dict[str, Any]:
        """Run one SQL statement on a SQLite database file and return its columns and rows.

        Read-only (SELECT) unless the pack was opened as writable. Use ? placeholders
        with parameters rather than pasting values into the SQL.

        Args:
            database: SQLite file path, relative to the sandbox root
            sql: one SQL statement, e.g. "SELECT name, price FROM products WHERE price < ?"
            parameters: values for the ? placeholders, in order
        """
        if not writable and _first_keyword(sql) not in _READ_KEYWORDS:
            raise AccessDenied("only SELECT queries are allowed: this database is opened read-only")
        real = box.resolve(database) if writable else existing(database)
        uri = f"{real.as_uri()}?mode={'rwc' if writable else 'ro'}"
        deadline = time.monotonic() + query_seconds
        conn = sqlite3.connect(uri, uri=True, timeout=query_seconds)
        try:
            conn.set_authorizer(_authorizer(writable))
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                cursor = conn.execute(sql, parameters or [])
                rows = cursor.fetchmany(max_rows + 1)
                conn.commit()
            except sqlite3.DatabaseError as exc:
                message = str(exc)
                if "not authorized" in message or "readonly" in message:
                    raise AccessDenied(f"refused by the database sandbox: {message}") from None
                if "interrupted" in message:
                    raise TimeoutError(f"the query ran over {query_seconds:g}s") from None
                raise ValueError(f"SQL error: {message}") from None
            except sqlite3.Warning as exc:  # 3.11: "You can only execute one statement at a time."
                raise ValueError(f"SQL error: {exc}") from None
            columns = [d[0] for d in cursor.description or []]
            result: dict[str, Any] = {"columns": columns, "rows": [[_cell(v) for v in r] for r in rows[:max_rows]],
                                      "truncated": len(rows) > max_rows}  # fmt: skip
            if not columns:
                result["rows_affected"] = cursor.rowcount
            return result
        finally:
            conn.close()

    return [csv_query, sqlite_query]


csv_query, sqlite_query = build()


def pack(
    root: str | os.PathLike[str] | None = None,
    *,
    writable: bool = False,
    max_rows: int = MAX_ROWS,
    max_file_bytes: int = MAX_FILE_BYTES,
    query_seconds: float = QUERY_SECONDS,
) -> ToolRegistry:
    """The data tools for files under ``root`` (default: the current directory); SQLite read-only unless ``writable``."""
    tools = build(root, writable=writable, max_rows=max_rows, max_file_bytes=max_file_bytes, query_seconds=query_seconds)
    return registry("data", tools)


__all__ = ["build", "csv_query", "pack", "sqlite_query"]
