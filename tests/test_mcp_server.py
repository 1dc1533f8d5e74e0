"""`agentkit serve mcp`: the agent as a real MCP server process, over stdio and streamable HTTP, driven by MCP clients."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from agentkit.mcp_client import MCPToolError, load_mcp_tools
from agentkit.testing import free_port

AGENTKIT = str(Path(sys.executable).parent / "agentkit")

# A tool file for the server process: two tools (one needs approval) that log their calls, and a
# fake model registered as fake:serve that plans 'erase' for requests naming notes.txt, else 'shout'.
TOOLS = '''
from pathlib import Path
from agentkit import tool
from agentkit.models import FunctionModel, register_fake
from agentkit.testing import plan_model

LOG = Path(__file__).with_name("calls.log")


@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout
    """
    with LOG.open("a") as log:
        log.write("shout\\n")
    return text.upper()


@tool(needs_approval=True)
def erase(path: str) -> str:
    """Erase a file for good.

    Args:
        path: the file
    """
    with LOG.open("a") as log:
        log.write("erase\\n")
    return f"erased {path}"


def _plan(tool, arguments):
    return {"task_steps": [f"use {tool}"], "task_nodes": [{"task": tool, "arguments": arguments}], "task_links": []}


_SHOUT = plan_model(_plan("shout", {"text": "hello"}), answer="HELLO")
_ERASE = plan_model(_plan("erase", {"path": "notes.txt"}), answer="erased notes.txt")
register_fake("serve", lambda: FunctionModel(
    lambda messages, schema: (_ERASE if any("notes.txt" in m.content for m in messages) else _SHOUT)._fn(messages, schema),
    name="fake:serve",
))
'''


def serve_args(folder: Path, *extra: str) -> list[str]:
    tools = folder / "served_tools.py"
    tools.write_text(TOOLS, encoding="utf-8")
    return ["serve", "mcp", "--tools", str(tools), "--model", "fake:serve", "--retriever", "bm25", *extra]


def calls(folder: Path) -> list[str]:
    log = folder / "calls.log"
    return log.read_text().split() if log.exists() else []


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One `agentkit serve mcp --expose-tools` over stdio, as tools of an mcp.json (the round trip)."""
    folder = tmp_path_factory.mktemp("served")
    config = {"mcpServers": {"agentkit": {"command": AGENTKIT, "args": serve_args(folder, "--expose-tools"), "timeout": 60}}}
    tools = load_mcp_tools(config)
    yield {t.name: t for t in tools}, folder
    tools.close()


async def test_the_sdk_client_lists_run_resume_plan_and_the_exposed_tools(tmp_path):
    params = StdioServerParameters(command=AGENTKIT, args=serve_args(tmp_path, "--expose-tools"), cwd=str(tmp_path))
    async with Client(params, read_timeout_seconds=60) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert {"run", "resume", "plan", "shout", "erase"} <= set(listed)
        assert listed["run"].input_schema["required"] == ["request"]
        assert listed["erase"].annotations.destructive_hint and listed["shout"].annotations is None
        result = await client.call_tool("run", {"request": "shout hello"})
    assert not result.is_error
    assert result.structured_content["status"] == "ok" and result.structured_content["nodes"][0]["output"] == "HELLO"


async def test_without_expose_tools_only_the_agents_own_tools_are_listed(tmp_path):
    params = StdioServerParameters(command=AGENTKIT, args=serve_args(tmp_path), cwd=str(tmp_path))
    async with Client(params, read_timeout_seconds=60) as client:
        assert {t.name for t in (await client.list_tools()).tools} == {"run", "resume", "plan"}


async def test_run_returns_the_answer_status_and_plan(served):
    tools, _ = served
    out = await tools["run"].acall({"request": "shout hello"})
    assert out["status"] == "ok" and out["answer"]
    assert out["plan"]["task_nodes"] == [{"task": "shout", "arguments": {"text": "hello"}}]
    assert out["nodes"][0]["tool"] == "shout" and out["nodes"][0]["output"] == "HELLO"


async def test_plan_plans_without_executing(served):
    tools, folder = served
    before = calls(folder)
    out = await tools["plan"].acall({"request": "shout hello"})
    assert out["plan"]["task_nodes"][0]["task"] == "shout" and "shout" in out["retrieved"]
    assert calls(folder) == before


async def test_a_call_that_needs_approval_interrupts_the_run_until_resume(served):
    tools, folder = served
    paused = await tools["run"].acall({"request": "erase notes.txt", "thread_id": "erase-1"})
    assert paused["status"] == "interrupted" and paused["pending_approvals"][0]["tool"] == "erase"
    assert "erase" not in calls(folder)
    done = await tools["resume"].acall({"thread_id": "erase-1", "approve": True})
    assert done["status"] == "ok" and done["nodes"][0]["output"] == "erased notes.txt"
    assert calls(folder).count("erase") == 1


async def test_exposed_tools_run_directly(served):
    tools, _ = served
    assert await tools["shout"].acall({"text": "hi"}) == "HI"
    assert tools["erase"].needs_approval  # destructiveHint survives the round trip


async def test_agentkit_errors_are_tool_errors_with_the_message(served):
    tools, _ = served
    with pytest.raises(MCPToolError, match="no run with thread id .never-started."):
        await tools["resume"].acall({"thread_id": "never-started", "approve": True})


def test_streamable_http_round_trip(tmp_path):
    port = free_port()
    proc = subprocess.Popen([AGENTKIT, *serve_args(tmp_path, "--http", f"127.0.0.1:{port}")], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        tools = _connect_when_up(f"mcp:http://127.0.0.1:{port}/mcp", proc)
        with tools:
            run = {t.name: t for t in tools}["run"]
            out = asyncio.run(run.acall({"request": "shout hello"}))
        assert out["status"] == "ok" and out["nodes"][0]["output"] == "HELLO"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _connect_when_up(url: str, proc: subprocess.Popen[str]):
    deadline = time.monotonic() + 90
    while True:
        try:
            return load_mcp_tools(url)
        except Exception:
            if proc.poll() is not None:
                raise AssertionError(f"the server exited: {proc.stderr.read() if proc.stderr else ''}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_bad_http_address_is_one_error_line_and_exit_2(tmp_path):
    proc = subprocess.run([AGENTKIT, *serve_args(tmp_path, "--http", "localhost")], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --http expects HOST:PORT") and len(proc.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_one_error_line_and_exit_2(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        taken.listen()
        proc = subprocess.run([AGENTKIT, *serve_args(tmp_path, "--http", f"127.0.0.1:{port}")],
                              capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}") and len(proc.stderr.strip().splitlines()) == 1
