"""MCP both ways: agentkit runs the tools of an MCP server, and MCP clients run agentkit.

1. A small MCP server of unit conversions (the official SDK's ``MCPServer``; this file runs it
   with ``--serve-units``) is a tool source: ``load_mcp_tools`` starts it over stdio, its tools
   become agentkit tools, and ``async with Agent(...)`` closes the session (and stops the
   server) when done.
2. ``agentkit serve mcp --tools mcp.json --expose-tools`` offers the agent itself as an MCP
   server (tools ``run``, ``resume``, ``plan`` and the pool's own); the SDK's ``Client`` starts it
   over stdio, lists its tools and calls ``run``.

Run: python examples/mcp_roundtrip.py "Convert 30 degrees Celsius to Fahrenheit" [--model SPEC]
(needs the mcp extra: pip install 'agentkit[mcp]')
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from agentkit import Agent, ChatModel, RunResult
from agentkit.mcp_client import load_mcp_tools

# Runs `agentkit ...` with this interpreter, wherever the console script is.
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; main()"]


def serve_units() -> None:
    """The MCP server of part 1 (over stdio)."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("units")

    @server.tool()
    def celsius_to_fahrenheit(celsius: float) -> float:
        """Convert a temperature from degrees Celsius to degrees Fahrenheit."""
        return round(celsius * 9 / 5 + 32, 2)

    @server.tool()
    def kilometres_to_miles(kilometres: float) -> float:
        """Convert a distance from kilometres to miles."""
        return round(kilometres / 1.609344, 3)

    server.run("stdio")


def units_config() -> dict[str, Any]:
    """The usual mcp.json shape, pointing at this file's server."""
    return {"mcpServers": {"units": {"command": sys.executable, "args": [str(Path(__file__).resolve()), "--serve-units"]}}}


async def use_mcp_tools(request: str, model: str | ChatModel) -> RunResult:
    """Part 1: agentkit as an MCP client."""
    async with Agent(load_mcp_tools(units_config()), model=model, retriever="bm25") as agent:
        return await agent.run(request)


async def ask_over_mcp(request: str, serve_args: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Part 2: agentkit as an MCP server; returns the tools it lists and what ``run`` answered."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=AGENTKIT[0], args=[*AGENTKIT[1:], "serve", "mcp", *serve_args])
    async with Client(params, read_timeout_seconds=900) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        result = await client.call_tool("run", {"request": request})
    if result.is_error:
        raise RuntimeError(" ".join(getattr(block, "text", "") for block in result.content))
    return tools, result.structured_content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("request", nargs="?", default="Convert 30 degrees Celsius to Fahrenheit")
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--serve-units", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_units:
        serve_units()
        return

    result = asyncio.run(use_mcp_tools(args.request, args.model))
    print(f"[agentkit using MCP tools] {result.status.value}: {result.answer}")
    for node in result.nodes:
        print(f"  {node.tool} -> {node.output if node.error is None else node.error}")

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "mcp.json"
        config.write_text(json.dumps(units_config()), encoding="utf-8")
        serve_args = ["--tools", str(config), "--model", args.model, "--retriever", "bm25", "--expose-tools"]
        tools, out = asyncio.run(ask_over_mcp(args.request, serve_args))
    print(f"[agentkit as an MCP server] tools: {', '.join(tools)}")
    print(f"  run -> {out['status']}: {out['answer']}")


if __name__ == "__main__":
    main()
