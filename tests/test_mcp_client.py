"""MCP servers as a tool source: real servers (stdio and streamable HTTP) written in the test, their tools as Tools."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp_helpers import (
    http_server,
    pid_alive,
    stdio_entry,
    wait_gone,
    write_config,
    write_server,
)

from agentkit import ToolArgumentError
from agentkit.agent import Agent
from agentkit.errors import ConfigError
from agentkit.mcp_client import (
    MCPConnectionError,
    MCPServerGone,
    MCPToolError,
    aload_mcp_tools,
    load_mcp_tools,
    mcp_sessions,
)
from agentkit.result import NodeStatus, RunStatus
from agentkit.retrieval import make_retriever
from agentkit.testing import plan_model

AGENTKIT = str(Path(sys.executable).parent / "agentkit")


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """One stdio 'notes' server for the module's read-only tests (its session opens once)."""
    folder = tmp_path_factory.mktemp("mcp")
    config = write_config(folder, {"notes": stdio_entry(write_server(folder), "notes", folder / "notes.pid")})
    tools = load_mcp_tools(config)
    yield {t.name: t for t in tools}
    tools.close()


@pytest.fixture
def fresh(tmp_path):
    """A server of the test's own (for tests that kill it or close it); yields (tools, pid)."""
    config = write_config(tmp_path, {"notes": stdio_entry(write_server(tmp_path), "notes", tmp_path / "notes.pid", timeout=20)})
    tools = load_mcp_tools(config)
    yield tools, int((tmp_path / "notes.pid").read_text())
    tools.close()


def one_node_plan(tool: str, arguments: dict) -> dict:
    return {"task_steps": [f"use {tool}"], "task_nodes": [{"task": tool, "arguments": arguments}], "task_links": []}


def test_each_mcp_tool_becomes_a_tool_with_its_input_schema_and_description(notes):
    add = notes["add_note"]
    assert add.description == "Store a note with a title and a text; returns its id."
    assert add.parameters["required"] == ["title", "text"]
    assert add.parameters["properties"]["title"]["type"] == "string"
    assert add.category == "mcp:notes" and add.executable


def test_destructive_hint_means_needs_approval(notes):
    assert notes["delete_note"].needs_approval and notes["delete_note"].side_effects
    assert not notes["add_note"].needs_approval


async def test_a_call_returns_the_structured_content(notes):
    assert await notes["add_note"].acall({"title": "groceries", "text": "milk"}) == {"id": 7, "title": "groceries"}


async def test_a_wrapped_result_is_unwrapped_and_text_only_results_are_text(notes):
    assert await notes["word_count"].acall({"text": "one two three"}) == 3
    assert await notes["shout"].acall({"text": "hi"}) == "HI"


async def test_arguments_are_checked_against_the_schema_before_the_call(notes):
    with pytest.raises(ToolArgumentError, match="title"):
        await notes["add_note"].acall({"text": "no title"})


async def test_is_error_raises_a_tool_error_with_the_servers_message(notes):
    with pytest.raises(MCPToolError, match="the archive is offline"):
        await notes["archive"].acall({"note_id": 1})


async def test_concurrent_calls_share_one_session(notes):
    texts = [" ".join(["w"] * n) for n in range(1, 9)]
    counts = await asyncio.gather(*(notes["word_count"].acall({"text": t}) for t in texts))
    assert counts == list(range(1, 9))


def test_calls_work_from_fresh_event_loops_over_one_session(notes):
    """run_sync and the CLI start a new loop per run; the session lives in its own loop."""
    for text in ("a b", "a b c"):
        assert asyncio.run(notes["word_count"].acall({"text": text})) == len(text.split())


def test_names_shared_by_two_servers_get_the_server_prefix(tmp_path):
    script = write_server(tmp_path)
    config = write_config(tmp_path, {
        "notes": stdio_entry(script, "notes", tmp_path / "n.pid"),
        "web": stdio_entry(script, "web", tmp_path / "w.pid"),
    })  # fmt: skip
    with load_mcp_tools(config) as tools:
        names = [t.name for t in tools]
        assert "notes_search" in names and "web_search" in names and "search" not in names
        assert "fetch_page" in names and "add_note" in names  # unique names stay as they are
        by_name = {t.name: t for t in tools}
        assert asyncio.run(by_name["web_search"].acall({"query": "x"})) == "web found 2 results for x"


async def test_aload_starts_the_servers_without_blocking_the_running_loop(tmp_path):
    config = write_config(tmp_path, {"notes": stdio_entry(write_server(tmp_path), "notes", tmp_path / "n.pid")})
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    tools = await aload_mcp_tools(config)
    ticker.cancel()
    async with tools:
        assert "add_note" in [t.name for t in tools]
    assert ticks > 5 and tools.closed  # the loop kept running while the server started


def test_a_streamable_http_server_by_url(tmp_path):
    with http_server(tmp_path) as url, load_mcp_tools(f"mcp:{url}") as tools:
        by_name = {t.name: t for t in tools}
        assert tools.servers == [url.split("/")[2]]
        assert asyncio.run(by_name["add_note"].acall({"title": "t", "text": "x"})) == {"id": 7, "title": "t"}


def test_a_server_that_cannot_start_names_it_and_shows_its_stderr(tmp_path):
    crashing = {"command": sys.executable, "args": ["-c", "import sys; print('no such database', file=sys.stderr); sys.exit(3)"]}
    with pytest.raises(MCPConnectionError, match=r"cannot start MCP server 'db'.*no such database"):
        load_mcp_tools({"mcpServers": {"db": crashing}})
    with pytest.raises(MCPConnectionError, match=r"cannot start MCP server 'ghost'.*No such file"):
        load_mcp_tools({"mcpServers": {"ghost": {"command": str(tmp_path / "missing-server")}}})


def test_a_malformed_config_is_a_config_error_naming_the_problem(tmp_path):
    with pytest.raises(ConfigError, match="either 'command'"):
        load_mcp_tools({"mcpServers": {"x": {"args": ["a"]}}})
    with pytest.raises(ConfigError, match="must start with http"):
        load_mcp_tools("mcp:ftp://example.org/mcp")


def test_the_retriever_indexes_mcp_tools_like_any_others(notes):
    hits = make_retriever("bm25", list(notes.values())).search("count the words of this text", k=1)
    assert hits[0].name == "word_count"


async def test_a_run_calls_an_mcp_tool(notes):
    model = plan_model(one_node_plan("add_note", {"title": "groceries", "text": "milk"}), answer="stored as note 7")
    agent = Agent(list(notes.values()), model=model, retriever="bm25")
    result = await agent.run("store a note about groceries")
    assert result.status == RunStatus.OK
    assert result.nodes[0].tool == "add_note" and result.nodes[0].output == {"id": 7, "title": "groceries"}


async def test_a_destructive_mcp_tool_pauses_the_run_for_approval(notes):
    agent = Agent(list(notes.values()), model=plan_model(one_node_plan("delete_note", {"note_id": "3"})), retriever="bm25")
    paused = await agent.run("delete note 3", thread_id="mcp-approve")
    assert paused.status == RunStatus.INTERRUPTED and paused.nodes == []
    result = await agent.resume("mcp-approve", approve=True)
    assert result.status == RunStatus.OK and result.nodes[0].output == "deleted note 3"


async def test_is_error_fails_the_node(notes):
    agent = Agent([notes["archive"]], model=plan_model(one_node_plan("archive", {"note_id": "1"})), retriever="bm25")
    result = await agent.run("archive note 1")  # the only tool: no other tool to recover with
    node = result.nodes[0]
    assert node.status == NodeStatus.FAILED and result.status == RunStatus.FAILED  # its only node failed
    assert node.error_type == "ToolExecutionError" and "the archive is offline" in node.error


async def test_a_server_killed_mid_run_is_a_clear_node_failure_not_a_hang(fresh):
    tools, pid = fresh
    by_name = {t.name: t for t in tools}
    agent = Agent([by_name["crash"]], model=plan_model(one_node_plan("crash", {})), retriever="bm25")
    result = await asyncio.wait_for(agent.run("stop the server"), timeout=60)
    assert result.nodes[0].status == NodeStatus.FAILED
    assert "MCP server 'notes' is gone: the connection closed" in result.nodes[0].error
    assert wait_gone(pid)
    with pytest.raises(MCPServerGone):  # later calls fail at once
        await by_name["word_count"].acall({"text": "a"})


async def test_a_server_that_stops_answering_fails_the_call_after_its_timeout_and_stays_usable(tmp_path):
    config = write_config(tmp_path, {"notes": stdio_entry(write_server(tmp_path), "notes", tmp_path / "n.pid", timeout=1)})
    async with await aload_mcp_tools(config) as tools:
        by_name = {t.name: t for t in tools}
        with pytest.raises(MCPToolError, match="timed out"):
            await by_name["wait"].acall({"seconds": 30})
        assert await by_name["word_count"].acall({"text": "still here"}) == 2


def test_an_http_server_killed_mid_call_is_server_gone(tmp_path):
    with http_server(tmp_path) as url, load_mcp_tools(f"mcp:{url}") as tools:
        by_name = {t.name: t for t in tools}
        with pytest.raises(MCPServerGone, match="is gone"):
            asyncio.run(by_name["crash"].acall({}))
        with pytest.raises(MCPServerGone):
            asyncio.run(by_name["word_count"].acall({"text": "a"}))


async def test_agent_aclose_closes_the_sessions_and_stops_stdio_servers(fresh):
    tools, pid = fresh
    async with Agent(list(tools), model=plan_model(one_node_plan("word_count", {"text": "a b"})), retriever="bm25") as agent:
        assert (await agent.run("count words")).nodes[0].output == 2
        assert mcp_sessions(agent.registry) == [tools]
    assert tools.closed and mcp_sessions(agent.registry) == []
    assert wait_gone(pid)


@pytest.mark.slow
async def test_the_default_model_runs_an_mcp_tool(fresh, gemma):
    tools, _ = fresh
    pool = [t for t in tools if t.name in ("word_count", "add_note")]
    agent = Agent(pool, model=gemma, retriever="bm25")
    result = await agent.run("How many words are in the text 'the quick brown fox jumps'?")
    assert result.status in (RunStatus.OK, RunStatus.PARTIAL)
    assert result.nodes and all(n.tool in ("word_count", "add_note") for n in result.nodes)
    done = [n for n in result.nodes if n.status == NodeStatus.OK]
    assert done and all(isinstance(n.output, int | dict) for n in done)  # answers that came back from the server


# -- the command line ---------------------------------------------------------------------------


def agentkit(*args, cwd=None):
    return subprocess.run([AGENTKIT, *args], capture_output=True, text=True, check=False, timeout=120, cwd=cwd)


def test_tools_list_shows_the_tools_of_an_mcp_json_and_stops_the_server(tmp_path):
    config = write_config(tmp_path, {"notes": stdio_entry(write_server(tmp_path), "notes", tmp_path / "notes.pid")})
    proc = agentkit("tools", "list", "--tools", str(config), "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {t["name"]: t for t in json.loads(proc.stdout)}
    assert {"add_note", "word_count", "delete_note", "search"} <= set(listed)
    assert listed["delete_note"]["needs_approval"] and listed["add_note"]["runs"] == "yes"
    assert wait_gone(int((tmp_path / "notes.pid").read_text()))  # closed with the CLI process


def test_tools_list_takes_an_mcp_url_and_the_config_files_tools(tmp_path):
    with http_server(tmp_path) as url:
        (tmp_path / "agentkit.toml").write_text(f'tools = ["mcp:{url}"]\n', encoding="utf-8")
        proc = agentkit("tools", "list", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "add_note" in {t["name"] for t in json.loads(proc.stdout)}


def test_a_server_that_cannot_start_is_one_error_line_and_exit_2(tmp_path):
    config = write_config(tmp_path, {"broken": {"command": str(tmp_path / "no-such-server")}})
    proc = agentkit("tools", "list", "--tools", str(config))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: cannot start MCP server 'broken'") and len(proc.stderr.strip().splitlines()) == 1


def test_a_cli_run_calls_an_mcp_tool(tmp_path):
    config = write_config(tmp_path, {"notes": stdio_entry(write_server(tmp_path), "notes", tmp_path / "notes.pid")})
    planner = tmp_path / "planner.py"
    planner.write_text(
        "from agentkit import tool\nfrom agentkit.models import register_fake\nfrom agentkit.testing import plan_model\n"
        f"register_fake('mcp-plan', lambda: plan_model({one_node_plan('word_count', {'text': 'a b c'})!r}, answer='3 words'))\n"
        "@tool\ndef unused(x: str) -> str:\n    '''Never planned.'''\n    return x\n",
        encoding="utf-8",
    )  # the tool file registers the fake planner before the agent is built
    proc = agentkit("run", "count the words", "--tools", str(planner), "--tools", str(config),
                    "--model", "fake:mcp-plan", "--retriever", "bm25", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "ok" and result["nodes"][0]["output"] == 3
    assert wait_gone(int((tmp_path / "notes.pid").read_text()))


def test_server_processes_of_a_closed_source_are_gone(fresh):
    tools, pid = fresh
    assert pid_alive(pid)
    tools.close()
    assert wait_gone(pid)
