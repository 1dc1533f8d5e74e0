"""Pack tools say which of them change the world: those need approval and are not retried."""

from __future__ import annotations

import pytest
from agentkit.tools import PACKS, load_pack

FIXTURES = __import__("pathlib").Path(__file__).parent.parent / "fixtures"


def test_write_file_changes_the_world_and_is_not_retried(tmp_path):
    write = load_pack("files", root=tmp_path)["write_file"]
    assert write.side_effects and not write.idempotent and write.approval_needed({"path": "a", "content": "b"})


def test_every_other_shipped_tool_only_reads(tmp_path):
    options = {"files": {"root": tmp_path}, "data": {"root": tmp_path}, "taskbench": {"domain_dir": FIXTURES / "taskbench_resource"}}
    for name in PACKS:
        for t in load_pack(name, **options.get(name, {})):
            if t.name != "write_file":
                assert not t.side_effects and t.idempotent, t.name


def test_a_read_only_database_needs_no_approval(tmp_path):
    q = load_pack("data", root=tmp_path)["sqlite_query"]
    assert not q.approval_needed({"database": "x.db", "sql": "DELETE FROM t"})  # refused anyway, never asked


@pytest.mark.parametrize(("sql", "asks"), [
    ("SELECT * FROM t", False), ("PRAGMA table_info(t)", False), ("INSERT INTO t VALUES (1)", True),
    ("WITH x AS (SELECT 1) DELETE FROM t", True), ("/* note */ update t set a = 1", True), ("CREATE TABLE u(a)", True),
])  # fmt: skip
def test_a_writable_database_asks_before_statements_that_may_write(tmp_path, sql, asks):
    q = load_pack("data", root=tmp_path, writable=True)["sqlite_query"]
    assert q.side_effects and not q.idempotent
    assert q.approval_needed({"database": "x.db", "sql": sql}) is asks
