"""Learned examples in SQLite: one bounded, least-recently-used set per tool pool.

A plan only makes sense for the tools it was made with, so every row carries the pool's
key (a hash of the tools' documents): an agent over other tools sees none of them. Adding a
request already stored (same text up to case and spacing) replaces its plan and counts it
(duplicates merge); past ``capacity`` the examples used longest ago leave first. Use is
recorded by a counter, not the clock, so the order is exact.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from agentkit.errors import ConfigError
from agentkit.retrieval.base import tools_hash
from agentkit.tool import Tool

from .example import Example, parse_record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS examples (
    pool TEXT NOT NULL,
    id TEXT NOT NULL,
    request_key TEXT NOT NULL,
    record TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 1,
    used INTEGER NOT NULL,
    PRIMARY KEY (pool, id),
    UNIQUE (pool, request_key)
)
"""


def pool_key(tools: Iterable[Tool]) -> str:
    """The key of a tool pool: any added, removed or edited tool makes it another pool."""
    return tools_hash(sorted(tools, key=lambda t: t.name))[:16]


class ExampleStore:
    """Examples learned for one tool pool, persisted in a SQLite file shared by many pools."""

    def __init__(self, path: str | Path, *, pool: str, capacity: int = 500):
        if capacity < 1:
            raise ConfigError(f"an example store needs a capacity of at least 1, got {capacity}")
        self.path = Path(path)
        self.pool = pool
        self.capacity = capacity
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot open the example store ({exc})") from None

    def _tick(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(used), 0) + 1 FROM examples").fetchone()[0])

    def add(self, example: Example) -> Example:
        """Store ``example``; the same request again replaces the plan (one row, hits + 1). Returns what is stored."""
        with self._lock, self._db:
            row = self._db.execute("SELECT id FROM examples WHERE pool = ? AND request_key = ?", (self.pool, example.key)).fetchone()
            stored = example.model_copy(update={"id": row[0]}) if row else example
            record = json.dumps(stored.record(), ensure_ascii=False)
            if row:
                self._db.execute("UPDATE examples SET record = ?, hits = hits + 1, used = ? WHERE pool = ? AND id = ?",
                                 (record, self._tick(), self.pool, row[0]))  # fmt: skip
            else:
                self._db.execute("DELETE FROM examples WHERE pool = ? AND id = ?", (self.pool, stored.id))
                self._db.execute("INSERT INTO examples (pool, id, request_key, record, hits, used) VALUES (?, ?, ?, ?, 1, ?)",
                                 (self.pool, stored.id, stored.key, record, self._tick()))  # fmt: skip
            self._db.execute(
                "DELETE FROM examples WHERE pool = ? AND id NOT IN "
                "(SELECT id FROM examples WHERE pool = ? ORDER BY used DESC LIMIT ?)",
                (self.pool, self.pool, self.capacity),
            )
        return stored

    def touch(self, ids: Iterable[str]) -> None:
        """Mark examples as just used (they leave last)."""
        with self._lock, self._db:
            for i in ids:
                self._db.execute("UPDATE examples SET used = ? WHERE pool = ? AND id = ?", (self._tick(), self.pool, i))

    def remove(self, id: str) -> bool:
        with self._lock, self._db:
            return self._db.execute("DELETE FROM examples WHERE pool = ? AND id = ?", (self.pool, id)).rowcount > 0

    def examples(self) -> list[Example]:
        """Every stored example of this pool, most recently used first."""
        with self._lock:
            rows = self._db.execute("SELECT record FROM examples WHERE pool = ? ORDER BY used DESC", (self.pool,)).fetchall()
        return [parse_record(json.loads(r[0]), where=f"{self.path} (pool {self.pool})") for r in rows]

    def hits(self, id: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT hits FROM examples WHERE pool = ? AND id = ?", (self.pool, id)).fetchone()
        return int(row[0]) if row else 0

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM examples WHERE pool = ?", (self.pool,)).fetchone()[0])

    def close(self) -> None:
        self._db.close()


__all__ = ["ExampleStore", "pool_key"]
