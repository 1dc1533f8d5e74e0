"""The SQLite side of ``sqlite_query``: an authorizer, resource limits, and a bounded way to run one statement.

A read-only database is never opened by path: its bytes are read through the
sandbox's descriptor and loaded into an in-memory connection (``deserialize``), so no
symlink swap can point SQLite at another file and no journal or WAL file is touched.
Every connection gets limits before the statement runs: a longest string or blob
(``zeroblob(900000000)`` fails at once instead of allocating 900 MB), a time limit
checked by a progress handler, and a cap on the bytes of the rows handed back.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from ._common import AccessDenied

#: Longest string or blob a statement may build (SQLITE_LIMIT_LENGTH).
MAX_VALUE_BYTES = 10_000_000
#: Most bytes of cell values returned by one query; later rows are cut (``truncated``).
MAX_RESULT_BYTES = 5_000_000
#: Longest SQL text accepted.
MAX_SQL_CHARS = 100_000

READ_KEYWORDS = {"SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"}
_SCHEMA_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"}
_DENIED_FUNCTIONS = {"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"}
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/)*", re.DOTALL)
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_WAL_VERSIONS = b"\x02\x02"  # header bytes 18-19 of a database in WAL mode
# Any of these words anywhere (even in a string literal: a spare question costs less than a missed one).
_WRITE_WORDS = re.compile(r"\b(?:insert|update|delete|replace|upsert|create|drop|alter|vacuum|reindex|analyze|attach|detach)\b", re.IGNORECASE)


def first_keyword(sql: str) -> str:
    """The statement's first keyword, after comments (``WITH``, ``SELECT``, ...)."""
    rest = sql[_LEADING_COMMENTS.match(sql).end() :]  # type: ignore[union-attr]
    return (rest.split(None, 1) or [""])[0].split("(")[0].upper()


def may_write(arguments: dict[str, Any]) -> bool:
    """Whether a ``sqlite_query`` call may change the database (the approval rule of a writable pack).

    Errs towards yes: ``WITH ... DELETE`` starts like a read, so any write keyword counts.
    """
    sql = arguments["sql"]
    return first_keyword(sql) not in READ_KEYWORDS or bool(_WRITE_WORDS.search(sql))


def authorizer(writable: bool):
    """An authorizer refusing ATTACH (also what VACUUM INTO does), non-schema PRAGMAs, risky functions and,
    unless ``writable``, every write."""

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY  # would reach files outside the sandbox
        if action == sqlite3.SQLITE_PRAGMA:
            return sqlite3.SQLITE_OK if (arg1 or "").lower() in _SCHEMA_PRAGMAS else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK if writable or action in _READ_ACTIONS else sqlite3.SQLITE_DENY

    return authorize


def in_memory_copy(data: bytes) -> sqlite3.Connection:
    """A private in-memory connection holding the database ``data`` (a WAL database read as a rollback one)."""
    if data[:16] == b"SQLite format 3\x00" and data[18:20] == _WAL_VERSIONS:
        data = data[:18] + b"\x01\x01" + data[20:]
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    if data:
        try:
            conn.deserialize(data)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ValueError(f"not a SQLite database: {exc}") from None
    return conn


def limit(conn: sqlite3.Connection, writable: bool, seconds: float) -> None:
    """Install the authorizer, the value-size limits and a deadline ``seconds`` from now."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_CHARS)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.set_authorizer(authorizer(writable))
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 100)  # few ops: one may build a 10 MB blob


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else 8


def _cell(value: Any) -> Any:
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else value


def execute(conn: sqlite3.Connection, sql: str, parameters: list[Any], max_rows: int, seconds: float) -> dict[str, Any]:
    """Run one statement on a limited connection: columns, rows (at most ``max_rows`` and MAX_RESULT_BYTES), truncated."""
    if len(sql) > MAX_SQL_CHARS:
        raise ValueError(f"SQL is {len(sql)} characters, over the limit of {MAX_SQL_CHARS}")
    rows: list[list[Any]] = []
    size, truncated = 0, False
    try:
        cursor = conn.execute(sql, parameters)
        while not truncated and (batch := cursor.fetchmany(100)):
            for row in batch:
                size += sum(_size(v) for v in row)
                if len(rows) >= max_rows or size > MAX_RESULT_BYTES:
                    truncated = True
                    break
                rows.append([_cell(v) for v in row])
        conn.commit()
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if "not authorized" in message or "authorization denied" in message or "readonly" in message:
            raise AccessDenied(f"refused by the database sandbox: {message}") from None
        if "interrupted" in message:
            raise TimeoutError(f"the query ran over {seconds:g}s") from None
        raise ValueError(f"SQL error: {message}") from None
    except (sqlite3.Warning, OverflowError) as exc:  # 3.11: "You can only execute one statement at a time."
        raise ValueError(f"SQL error: {exc}") from None
    columns = [d[0] for d in cursor.description or []]
    result: dict[str, Any] = {"columns": columns, "rows": rows, "truncated": truncated}
    if not columns:
        result["rows_affected"] = cursor.rowcount
    return result


__all__ = [
    "MAX_RESULT_BYTES", "MAX_SQL_CHARS", "MAX_VALUE_BYTES", "READ_KEYWORDS",
    "execute", "first_keyword", "in_memory_copy", "limit", "may_write",
]  # fmt: skip
