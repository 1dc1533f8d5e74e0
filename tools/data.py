"""Data tools: query a CSV file and a SQLite database, both inside a sandbox root.

SQLite is read-only unless the pack is built with ``writable=True``, enforced three
ways: a read-only database is a private in-memory copy of the file's bytes, statements
other than SELECT/WITH/VALUES/EXPLAIN/PRAGMA are refused up front with a clear
message, and an authorizer denies every write, ATTACH (and so VACUUM INTO),
non-schema PRAGMA and ``load_extension`` inside SQLite itself (so ``WITH ... DELETE``
cannot slip past the keyword check). The copy holds what the main database file holds:
changes still waiting in a WAL file (a database another process has open) are not seen. Both tools bound their work before doing it:
file size, line and field length, value size, result size and a time limit.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from . import _sqlite
from ._common import AccessDenied, positive, registry
from ._csvquery import query_rows
from ._sandbox import READ, Sandbox, check_regular

MAX_ROWS = 1_000
MAX_FILE_BYTES = 50_000_000
QUERY_SECONDS = 5.0
#: Longest CSV line read (a line is read at most this far before it is refused).
MAX_LINE_CHARS = 1_000_000
#: Most columns a CSV header may have.
MAX_COLUMNS = 10_000


def _lines(fh: io.TextIOBase, shown: str) -> Iterator[str]:
    """The lines of ``fh``, each read no further than MAX_LINE_CHARS (a 50 MB one-line file is not slurped)."""
    while line := fh.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(f"{shown!r} has a line over {MAX_LINE_CHARS} characters")
        yield line


def _csv_rows(fh: io.TextIOBase, shown: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header and a stream of the other rows; ValueError for over-long lines, fields or headers."""
    reader = csv.reader(_lines(fh, shown))  # fields over csv.field_size_limit() (128 KiB) raise csv.Error

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise ValueError(f"cannot read {shown!r} as CSV: {exc}") from None

    stream = rows()
    header = next(stream, [])
    if len(header) > MAX_COLUMNS:
        raise ValueError(f"{shown!r} has {len(header)} columns, over the limit of {MAX_COLUMNS}")
    return header, stream


def _checked_options(max_rows: int, max_file_bytes: int, query_seconds: float) -> None:
    positive("data", "max_rows", max_rows)
    positive("data", "max_file_bytes", max_file_bytes)
    positive("data", "query_seconds", query_seconds, whole=False, at_most=3600)


class _SandboxFiles:
    """The data files of one sandbox root, each checked to be a regular file within the size limit."""

    def __init__(self, box: Sandbox, max_file_bytes: int):
        self.box, self.max_file_bytes = box, max_file_bytes

    @contextmanager
    def opened(self, path: str) -> Iterator[int]:
        """A descriptor of the regular file ``path`` within the size limit."""
        with self.box.open(path, READ) as fd:
            if check_regular(fd, path).st_size > self.max_file_bytes:
                raise ValueError(f"file {path!r} is over the size limit of {self.max_file_bytes} bytes")
            yield fd

    def read_bytes(self, path: str) -> bytes:
        with self.opened(path) as fd, os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(self.max_file_bytes + 1)
        if len(data) > self.max_file_bytes:  # grew since the check
            raise ValueError(f"file {path!r} is over the size limit of {self.max_file_bytes} bytes")
        return data

    def open_writable(self, database: str, query_seconds: float) -> sqlite3.Connection:
        """A connection to the database file itself (made when missing), opened by its checked, symlink-free path.

        SQLite opens files only by path (it needs one for its journal), so unlike the
        read-only case a symlink swapped in between the check and SQLite's open is not
        excluded; give writable databases a root no one else can write to.
        """
        with self.box.open(database, os.O_RDWR | os.O_CREAT, follow=False, make_parents=False) as fd:
            check_regular(fd, database)
        real = self.box.real_path(database)
        return sqlite3.connect(f"{real.as_uri()}?mode=rw", uri=True, timeout=query_seconds, check_same_thread=False)


def _csv_query(files: _SandboxFiles, max_rows: int, query_seconds: float) -> Tool:
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
        deadline = time.monotonic() + query_seconds
        with files.opened(path) as fd, open(os.dup(fd), encoding="utf-8-sig", errors="replace", newline="") as fh:
            header, rows = _csv_rows(fh, path)
            return query_rows(rows, header, columns=columns, where=where or [], aggregate=aggregate,
                              aggregate_column=aggregate_column, group_by=group_by, order_by=order_by,
                              descending=descending, limit=max(0, min(limit, max_rows)), deadline=deadline)  # fmt: skip

    return csv_query


def _sqlite_query(files: _SandboxFiles, writable: bool, max_rows: int, query_seconds: float) -> Tool:
    # A writable database is changed by some statements: those ask first and are never retried.
    @tool(input_types=["path", "text"], output_types=["table"], cost=0.1, quality=0.9, timeout=query_seconds + 5,
          needs_approval=_sqlite.may_write if writable else False, side_effects=writable, idempotent=not writable)  # fmt: skip
    def sqlite_query(database: str, sql: str, parameters: list[str | int | float | None] | None = None) -> dict[str, Any]:
        """Run one SQL statement on a SQLite database file and return its columns and rows.

        Read-only (SELECT) unless the pack was opened as writable; then statements that
        may write need approval. Use ? placeholders with parameters rather than pasting
        values into the SQL.

        Args:
            database: SQLite file path, relative to the sandbox root
            sql: one SQL statement, e.g. "SELECT name, price FROM products WHERE price < ?"
            parameters: values for the ? placeholders, in order
        """
        if not writable and _sqlite.first_keyword(sql) not in _sqlite.READ_KEYWORDS:
            raise AccessDenied("only SELECT queries are allowed: this database is opened read-only")
        conn = files.open_writable(database, query_seconds) if writable else _sqlite.in_memory_copy(files.read_bytes(database))
        try:
            _sqlite.limit(conn, writable, query_seconds)
            return _sqlite.execute(conn, sql, parameters or [], max_rows, query_seconds)
        finally:
            conn.close()

    return sqlite_query


def build(
    root: str | os.PathLike[str] | None = None,
    *,
    writable: bool = False,
    max_rows: int = MAX_ROWS,
    max_file_bytes: int = MAX_FILE_BYTES,
    query_seconds: float = QUERY_SECONDS,
) -> list[Tool]:
    """The two data tools bound to one sandbox root."""
    _checked_options(max_rows, max_file_bytes, query_seconds)
    files = _SandboxFiles(Sandbox(root), max_file_bytes)
    return [_csv_query(files, max_rows, query_seconds), _sqlite_query(files, writable, max_rows, query_seconds)]


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
