"""sqlite_query: what a statement may not do (write, attach, pragma, load code) and how much it may take."""

from __future__ import annotations

import sqlite3

import pytest
from agentkit.tools import AccessDenied, data


@pytest.fixture
def root(tmp_path):
    conn = sqlite3.connect(tmp_path / "shop.db")
    conn.executescript("CREATE TABLE items(name TEXT, price REAL); INSERT INTO items VALUES ('pen', 1.5), ('ink', 7);")
    conn.commit()
    conn.close()
    return tmp_path


def _count(root) -> int:
    with sqlite3.connect(root / "shop.db") as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


@pytest.mark.parametrize("sql", ["INSERT INTO items VALUES ('x', 1)", "UPDATE items SET price = 0", "DELETE FROM items",
                                 "DROP TABLE items", "CREATE TABLE t(x)", "REPLACE INTO items VALUES ('x', 1)",
                                 "WITH x AS (SELECT 1) DELETE FROM items", "/* hi */ DELETE FROM items"])  # fmt: skip
def test_writes_are_refused_in_read_only_mode(root, sql):
    with pytest.raises(AccessDenied):
        data.pack(root)["sqlite_query"](database="shop.db", sql=sql)
    assert _count(root) == 2


@pytest.mark.parametrize("writable", [False, True])
def test_attach_is_refused_and_creates_no_file(root, writable):
    target = root.parent / f"attached-{writable}.db"
    with pytest.raises(AccessDenied):
        data.pack(root, writable=writable)["sqlite_query"](database="shop.db", sql=f"ATTACH DATABASE '{target}' AS o")
    assert not target.exists()


@pytest.mark.parametrize("writable", [False, True])
def test_vacuum_into_a_file_outside_is_refused(root, writable):
    target = root.parent / f"copy-{writable}.db"
    with pytest.raises(AccessDenied):
        data.pack(root, writable=writable)["sqlite_query"](database="shop.db", sql=f"VACUUM INTO '{target}'")
    assert not target.exists()


@pytest.mark.parametrize("pragma", ["PRAGMA writable_schema = 1", "PRAGMA journal_mode = DELETE", "PRAGMA temp_store_directory = '/tmp'"])
def test_pragmas_that_change_things_are_refused(root, pragma):
    with pytest.raises(AccessDenied):
        data.pack(root, writable=True)["sqlite_query"](database="shop.db", sql=pragma)


def test_schema_pragmas_are_allowed(root):
    result = data.pack(root)["sqlite_query"](database="shop.db", sql="PRAGMA table_info(items)")
    assert [row[1] for row in result["rows"]] == ["name", "price"]


@pytest.mark.parametrize("writable", [False, True])
def test_load_extension_is_refused(root, writable):
    with pytest.raises((AccessDenied, ValueError), match="not authorized"):
        data.pack(root, writable=writable)["sqlite_query"](database="shop.db", sql="SELECT load_extension('/tmp/evil.so')")


def test_a_huge_zeroblob_fails_at_once_instead_of_allocating(root):
    with pytest.raises(ValueError, match="too big"):
        data.pack(root)["sqlite_query"](database="shop.db", sql="SELECT zeroblob(900000000)")


def test_a_huge_randomblob_fails_at_once(root):
    with pytest.raises(ValueError, match="too big"):
        data.pack(root)["sqlite_query"](database="shop.db", sql="SELECT randomblob(1e9)")


def test_results_are_cut_at_the_byte_cap(root):
    sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20) "
           "SELECT x, printf('%.*c', 1000000, 'a') FROM c")  # fmt: skip
    result = data.pack(root)["sqlite_query"](database="shop.db", sql=sql)
    assert result["truncated"] and len(result["rows"]) == 4  # 4 MB kept, the 5th row would pass 5 MB


def test_an_endless_query_stops_at_the_time_limit(root):
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    with pytest.raises(TimeoutError, match="ran over 0.05s"):
        data.pack(root, query_seconds=0.05)["sqlite_query"](database="shop.db", sql=endless)


def test_two_statements_are_refused(root):
    with pytest.raises(ValueError, match="one statement"):
        data.pack(root)["sqlite_query"](database="shop.db", sql="SELECT 1; SELECT 2")


def test_a_database_behind_an_outward_symlink_is_refused(root):
    (root / "inner").mkdir()
    (root / "inner" / "shop.db").symlink_to(root / "shop.db")
    for writable in (False, True):
        with pytest.raises(AccessDenied, match="outside the sandbox root|symlink"):
            data.pack(root / "inner", writable=writable)["sqlite_query"](database="shop.db", sql="SELECT 1")


def test_a_wal_mode_database_is_read(root):
    with sqlite3.connect(root / "shop.db") as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    result = data.pack(root)["sqlite_query"](database="shop.db", sql="SELECT name FROM items ORDER BY name")
    assert result["rows"] == [["ink"], ["pen"]]


def test_a_read_only_query_leaves_no_journal_or_wal_files(root):
    before = sorted(p.name for p in root.iterdir())
    data.pack(root)["sqlite_query"](database="shop.db", sql="SELECT * FROM items")
    assert sorted(p.name for p in root.iterdir()) == before


def test_a_file_that_is_not_a_database_is_a_clear_error(root):
    (root / "notes.db").write_text("hello, not sqlite " * 100)
    with pytest.raises(ValueError, match="not a database|not a SQLite database"):
        data.pack(root)["sqlite_query"](database="notes.db", sql="SELECT 1 FROM sqlite_master")


def test_writable_mode_writes_to_the_file(root):
    q = data.pack(root, writable=True)["sqlite_query"]
    assert q(database="shop.db", sql="INSERT INTO items VALUES ('cap', 2)")["rows_affected"] == 1
    assert _count(root) == 3
