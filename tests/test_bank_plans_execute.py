"""Every worked example shipped with a tool pack runs: its plan, through the real executor, on the
real pack tools (files and data under a temporary root, http against a server on 127.0.0.1).

An example that cannot execute would teach the planner a plan that fails: it is a bug.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent
from agentkit.examples import PACK_BANKS, Example, pack_bank
from agentkit.executor import ExecutionPolicy
from agentkit.models import FunctionModel
from agentkit.planners import PlanResult
from agentkit.registry import ToolRegistry
from agentkit.result import RunStatus
from agentkit.tools import load_pack
from agentkit.testing import _copy_planned_arguments


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.dumps({"path": self.path, "ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sandbox(root: Path) -> None:
    """The files the files and data banks talk about."""
    (root / "docs").mkdir()
    (root / "data").mkdir()
    (root / "notes.txt").write_text("Call Ann at 10.\nBuy stamps.\n")
    (root / "docs" / "guide.md").write_text("# Guide\nStart here.\n")
    (root / "data" / "report.csv").write_text("a,b\n1,2\n")
    with (root / "sales.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["region", "product", "amount"])
        writer.writerows([["North", "pen", 120], ["South", "ink", 80], ["North", "pad", 60], ["East", "pen", 150]])
    db = sqlite3.connect(root / "shop.db")
    db.executescript(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);"
        "INSERT INTO customers VALUES (1, 'Ann', 'Paris'), (2, 'Bob', 'Lyon');"
        "INSERT INTO orders VALUES (1, 1, 75.0), (2, 2, 20.0), (3, 1, 55.5), (4, 2, 99.0);"
    )
    db.commit()
    db.close()


class _Fixed:
    """A planner that answers with the example's own plan."""

    name = "fixed"

    def __init__(self, example: Example):
        self.example = example

    async def plan(self, request: str, tools: Sequence[Any], **_: Any) -> PlanResult:
        return PlanResult(plan=self.example.plan())


def _model() -> FunctionModel:
    def reply(messages: list[Any], schema: dict[str, Any] | None) -> Any:
        props = (schema or {}).get("properties", {})
        return {"answer": "done"} if "answer" in props else _copy_planned_arguments(messages, props)

    return FunctionModel(reply, name="fake:copy")


def _pool(pack: str, root: Path, server: str) -> ToolRegistry:
    if pack in ("files", "data"):
        return load_pack(pack, root=str(root))
    if pack == "http":
        return load_pack(pack, allow_hosts=["127.0.0.1"])
    return load_pack(pack)


def _local(example: Example, server: str) -> Example:
    """The http bank's example.org URLs, served by the local server instead."""
    text = json.dumps(example.record()).replace("https://example.org", server)
    return Example.model_validate({**json.loads(text)})


CASES = [(pack, e) for pack in PACK_BANKS for e in pack_bank(pack)]


def test_every_shipped_pack_has_a_bank_of_at_least_15_single_chain_and_dag_examples() -> None:
    for pack in PACK_BANKS:
        bank = pack_bank(pack)
        sizes = [len(e.task_nodes) for e in bank]
        assert len(bank) >= 15, pack
        assert 1 in sizes and any(s >= 2 for s in sizes), pack


@pytest.mark.parametrize(("pack", "example"), CASES, ids=[e.id for _, e in CASES])
async def test_bank_example_runs_on_the_real_tools(pack: str, example: Example, tmp_path: Path, server: str) -> None:
    _sandbox(tmp_path)
    if pack == "http":
        example = _local(example, server)
    pool = _pool(pack, tmp_path, server)
    assert set(example.tools) <= set(pool.names), f"{example.id} calls tools outside the {pack} pack"
    model = _model()
    agent = Agent(pool, model=model, strategy=_Fixed(example), retriever="bm25", policy=ExecutionPolicy(arguments="planner"))
    result = await agent.run(example.request, thread_id=example.id)
    while result.status == RunStatus.INTERRUPTED:  # write_file asks first: approve as shown
        result = await agent.resume(example.id, approve=True)
    failed = [(n.index, n.tool, n.error) for n in result.nodes if n.status.value != "ok"]
    assert result.status == RunStatus.OK, f"{example.id}: {result.status} {failed} {result.error}"
    ran = [n.tool for n in sorted(result.nodes, key=lambda n: n.index)]
    assert ran == [n.task for n in example.task_nodes], f"{example.id}: the search swapped a planned tool (a type-unsound plan?)"
