"""Real MCP servers for the tests: one script (the official SDK's MCPServer), run over stdio or streamable HTTP.

``notes`` serves note tools (structured, wrapped and text results, a destructive tool, one that
reports isError, one that kills its own process); ``web`` serves a second ``search`` so two
servers share a tool name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

SERVER = '''
import os, sys
from pathlib import Path
from pydantic import BaseModel
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

name = sys.argv[1]
Path(sys.argv[2]).write_text(str(os.getpid()))  # where the test finds this process
server = MCPServer(name)


class Note(BaseModel):
    id: int
    title: str


@server.tool()
def search(query: str) -> str:
    """Search the notes for a query."""
    return f"{name} found 2 results for {query}"


if name == "notes":
    @server.tool()
    def add_note(title: str, text: str) -> Note:
        """Store a note with a title and a text; returns its id."""
        return Note(id=7, title=title)

    @server.tool()
    def word_count(text: str) -> int:
        """Count the words of a text."""
        return len(text.split())

    @server.tool(structured_output=False)
    def shout(text: str) -> str:
        """Upper-case a text."""
        return text.upper()

    @server.tool(annotations=ToolAnnotations(destructive_hint=True))
    def delete_note(note_id: int) -> str:
        """Delete a note for good."""
        return f"deleted note {note_id}"

    @server.tool()
    def archive(note_id: int) -> str:
        """Move a note to the archive."""
        raise ToolError("the archive is offline")

    @server.tool()
    def wait(seconds: float) -> str:
        """Wait a while before answering (a server that stops answering)."""
        import time
        time.sleep(seconds)
        return "waited"

    @server.tool()
    def crash() -> str:
        """Stop the server process at once (a server dying mid-run)."""
        os._exit(3)
else:
    @server.tool()
    def fetch_page(url: str) -> str:
        """Fetch a web page."""
        return "<html></html>"

if len(sys.argv) > 3:
    import anyio
    anyio.run(lambda: server.run_streamable_http_async(host="127.0.0.1", port=int(sys.argv[3])))
else:
    server.run("stdio")
'''


def write_server(folder: Path) -> Path:
    script = folder / "mcp_test_server.py"
    script.write_text(SERVER, encoding="utf-8")
    return script


def stdio_entry(script: Path, name: str, pid_file: Path, **extra: object) -> dict[str, object]:
    return {"command": sys.executable, "args": [str(script), name, str(pid_file)], **extra}


def write_config(folder: Path, servers: dict[str, dict[str, object]]) -> Path:
    path = folder / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # a zombie child of this process counts as gone
            return False
    return True


def wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def http_server(folder: Path, name: str = "notes") -> Iterator[str]:
    """The script over streamable HTTP on a free 127.0.0.1 port; yields its URL and always stops it."""
    from agentkit.testing import free_port

    script = write_server(folder)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), name, str(folder / f"{name}-http.pid"), str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the MCP test server did not start (exit code {proc.poll()})") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
