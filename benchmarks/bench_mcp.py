"""What a tool call through an MCP session costs, against the same function called in-process.

Starts one real MCP server (the official SDK's MCPServer, a ``word_count`` tool) over stdio and
over streamable HTTP on 127.0.0.1, loads it with ``load_mcp_tools``, and times: the start-up
(spawn or connect, handshake, tool listing), sequential calls (one at a time, each crossing
into the session's loop and back), and concurrent calls (``asyncio.gather``, one session).
The in-process ``@tool`` of the same function is the baseline.

Run: python benchmarks/bench_mcp.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentkit import tool
from agentkit.mcp_client import load_mcp_tools
from agentkit.testing import free_port

SERVER = '''
import sys
from mcp.server.mcpserver import MCPServer
server = MCPServer("bench")

@server.tool()
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())

if len(sys.argv) > 1:
    import anyio
    anyio.run(lambda: server.run_streamable_http_async(host="127.0.0.1", port=int(sys.argv[1])))
else:
    server.run("stdio")
'''


@tool
def word_count(text: str) -> int:
    """Count the words of a text.

    Args:
        text: the text
    """
    return len(text.split())


async def _time_calls(t, calls: int) -> tuple[float, float]:
    """(median ms per sequential call, ms per call when all run concurrently)."""
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        assert await t.acall({"text": "a b c " * (i % 5)}) == 3 * (i % 5)
        samples.append(time.perf_counter() - start)
    start = time.perf_counter()
    await asyncio.gather(*(t.acall({"text": "a b"}) for _ in range(calls)))
    return statistics.median(samples) * 1000, (time.perf_counter() - start) / calls * 1000


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the HTTP MCP server did not start") from None
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    script = folder / "bench_server.py"
    script.write_text(SERVER, encoding="utf-8")
    rows = [("in-process @tool", 0.0, *asyncio.run(_time_calls(word_count, args.calls)))]

    start = time.perf_counter()
    tools = load_mcp_tools({"mcpServers": {"bench": {"command": sys.executable, "args": [str(script)]}}})
    startup = time.perf_counter() - start
    with tools:
        rows.append(("MCP stdio", startup, *asyncio.run(_time_calls(tools[0], args.calls))))

    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        start = time.perf_counter()
        tools = load_mcp_tools(f"mcp:http://127.0.0.1:{port}/mcp")
        startup = time.perf_counter() - start
        with tools:
            rows.append(("MCP streamable HTTP", startup, *asyncio.run(_time_calls(tools[0], args.calls))))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    base = rows[0][2]
    print(f"MCP tool calls: {args.calls} sequential + {args.calls} concurrent, python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'path':22} {'start s':>8} {'ms/call':>9} {'x in-proc':>10} {'ms/call gathered':>17}")
    for name, startup, sequential, gathered in rows:
        print(f"{name:22} {startup:8.2f} {sequential:9.2f} {sequential / base:10.0f} {gathered:17.2f}")


if __name__ == "__main__":
    main()
