"""MCP servers as a tool source: each server's tools become :class:`~agentkit.tool.Tool`\\ s.

Sources: an ``mcp.json`` file (``{"mcpServers": {name: {"command", "args", "env", "cwd"} | {"url",
"headers"}}}``), ``mcp:http://HOST:PORT/mcp`` (streamable HTTP), or the same data as a dict.
Needs the ``mcp`` extra (``pip install 'agentkit[mcp]'``, the official SDK, major version 2).

Why an event loop of its own: tools are listed while an agent is built (synchronously, inside or
outside a running loop), calls come from any loop and task (LangGraph tasks, ``run_sync``'s fresh
loops), and the SDK's transports are anyio task groups that must be entered and left by one task.
So every session is held open by one task in a daemon thread's loop (:class:`_Portal`), and calls
cross into that loop and back. A session opens once, when its tools are loaded, and closes with
:meth:`MCPTools.aclose` (which ``Agent.aclose()`` calls) or when the process exits.

Each MCP tool keeps its input schema as the parameter schema and its description; a name that
several servers of one source share gets the server's name as a prefix (``files_read`` and
``web_read``); ``destructiveHint: true`` means ``needs_approval`` (and ``side_effects``),
``readOnlyHint``/``idempotentHint`` set ``side_effects``/``idempotent`` (retries). A call prefers the result's
structured content (FastMCP's ``{"result": x}`` wrapper is unwrapped) over its text; ``isError``
raises :class:`MCPToolError`, so the executor's recovery applies; a server that exits or stops
answering is :class:`MCPServerGone` after at most the server's ``timeout``, never a hang.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Self, TextIO, cast

from .errors import AgentkitError, ConfigError, ToolLoadError
from .mcp_config import (
    INSTALL_HINT,
    MCP_PREFIX,
    MCPConfig,
    MCPConnectionError,
    MCPServerConfig,
    MCPServerGone,
    MCPToolError,
    is_mcp_source,
    parse_mcp_source,
)
from .tool import Tool


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "mcp"


# -- the loop that holds the sessions ---------------------------------------------------------


class _Portal:
    """An anyio event loop in a daemon thread, entered through a BlockingPortal.

    A daemon thread, not the portal's usual executor thread: executor threads are joined before
    ``atexit`` runs, so a session left open would hang the interpreter at exit.
    """

    def __init__(self) -> None:
        from anyio.from_thread import BlockingPortal

        ready: concurrent.futures.Future[Any] = concurrent.futures.Future()

        async def serve() -> None:
            async with BlockingPortal() as portal:
                ready.set_result(portal)
                await portal.sleep_until_stopped()

        def main() -> None:
            import anyio

            try:
                anyio.run(serve)
            except BaseException as exc:  # noqa: BLE001 - reported to the thread that waits for the portal
                if not ready.done():
                    ready.set_exception(exc)

        self.thread = threading.Thread(target=main, name="agentkit-mcp", daemon=True)
        self.thread.start()
        self.portal = ready.result()

    def stop(self) -> None:
        if self.thread.is_alive():
            try:
                self.portal.call(self.portal.stop, True)
            except RuntimeError:
                pass  # already stopping
            self.thread.join(timeout=10)


class _Session:
    """One server's session, held open by one task in the portal's loop."""

    def __init__(self, name: str, config: MCPServerConfig, portal: _Portal, owner: MCPTools):
        self.name = name
        self.config = config
        self.portal = portal
        self.owner = owner
        self.client: Any = None
        self.error: str | None = None  # why the server is gone, once it is
        self._stop: Any = None
        self._inflight: set[Any] = set()
        self._ready: concurrent.futures.Future[list[Any]] = concurrent.futures.Future()
        self._task: concurrent.futures.Future[Any] | None = None
        # The end of a stdio server's stderr explains a failed start; open for the session's life.
        self._errlog: TextIO | None = (
            cast(TextIO, tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))  # noqa: SIM115
            if config.command
            else None
        )

    def where(self, *, detail: bool = False) -> str:
        if not detail:
            return f"MCP server {self.name!r}"
        if self.config.url is not None:
            return f"MCP server {self.name!r} ({self.config.url})"
        return f"MCP server {self.name!r} ({' '.join([self.config.command or '', *self.config.args])})"

    def start(self) -> list[Any]:
        """Open the session and list the server's tools (the MCP ``Tool`` objects)."""
        self._task = self.portal.portal.start_task_soon(self._hold)
        try:
            return self._ready.result(timeout=self.config.start_timeout)
        except concurrent.futures.TimeoutError:
            self._task.cancel()
            raise MCPConnectionError(f"{self.where(detail=True)} did not answer within {self.config.start_timeout:g}s") from None

    async def _hold(self) -> None:
        import anyio

        self._stop = anyio.Event()
        try:
            async with AsyncExitStack() as stack:
                try:
                    self.client = await stack.enter_async_context(self._client(stack))
                    tools = await _list_tools(self.client)
                except Exception as exc:  # noqa: BLE001 - any start-up failure becomes one clear error
                    self._ready.set_exception(MCPConnectionError(f"cannot start {self.where(detail=True)}: {self._explain(exc, stderr=True)}"))
                    return
                self._ready.set_result(tools)
                await self._stop.wait()
        except Exception as exc:  # noqa: BLE001 - the transport died under the session (e.g. HTTP server gone)
            self.error = self.error or self._explain(exc)
        finally:
            self.error = self.error or "the session was closed"
            for scope in list(self._inflight):
                scope.cancel()
            if not self._ready.done():
                self._ready.set_exception(MCPConnectionError(f"cannot start {self.where(detail=True)}: {self.error}"))

    def _client(self, stack: AsyncExitStack) -> Any:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp.client.streamable_http import streamable_http_client

        cfg = self.config
        if cfg.url is not None:
            import httpx2

            http = httpx2.AsyncClient(headers=cfg.headers, timeout=httpx2.Timeout(cfg.start_timeout, read=cfg.timeout))
            stack.push_async_callback(http.aclose)
            transport = streamable_http_client(cfg.url, http_client=http)
        else:
            params = StdioServerParameters(command=cfg.command or "", args=cfg.args, env=cfg.env or None, cwd=cfg.cwd)
            transport = stdio_client(params, errlog=self._errlog or sys.stderr)
        return Client(transport, read_timeout_seconds=cfg.start_timeout)

    def _explain(self, exc: BaseException, *, stderr: bool = False) -> str:
        """One line for what went wrong (at start-up, with the end of a stdio server's stderr)."""
        leaves = _leaf_exceptions(exc)
        text = "; ".join(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__ for e in leaves[:3])
        if stderr and self._errlog is not None:
            try:
                self._errlog.flush()
                self._errlog.seek(0)
                lines = [line for line in self._errlog.read().splitlines() if line.strip()]
                self._errlog.seek(0, 2)
            except (OSError, ValueError):
                lines = []
            if lines:
                text += f" (server stderr: {' | '.join(lines[-3:])[-400:]})"
        return text

    async def call(self, remote: str, arguments: dict[str, Any]) -> Any:
        """Call ``remote`` from any event loop: the call itself runs in the session's loop."""
        if self.error is not None:
            raise MCPServerGone(f"{self.where()} is gone: {self.error}")
        future = self.portal.portal.start_task_soon(self._call_here, remote, arguments)
        return await asyncio.wrap_future(future)

    async def _call_here(self, remote: str, arguments: dict[str, Any]) -> Any:
        import anyio
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED

        if self.error is not None or self.client is None:
            raise MCPServerGone(f"{self.where()} is gone: {self.error or 'not connected'}")
        with anyio.CancelScope() as scope:
            self._inflight.add(scope)
            try:
                return await self.client.call_tool(remote, arguments, read_timeout_seconds=self.config.timeout)
            except MCPError as exc:
                if exc.code == CONNECTION_CLOSED:
                    self.error = "the connection closed (did the server exit?)"
                    raise MCPServerGone(f"{self.where()} is gone: {self.error}") from None
                raise MCPToolError(f"{self.where()}: {exc.message}") from None
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                self.error = self._explain(exc)
                raise MCPServerGone(f"{self.where()} is gone: {self.error}") from None
            finally:
                self._inflight.discard(scope)
        raise MCPServerGone(f"{self.where()} is gone: {self.error}")  # cancelled by the holder's exit

    def stop(self) -> None:
        if self._task is None or self._task.done():
            return
        if self._stop is not None:
            try:
                self.portal.portal.call(self._stop.set)
            except RuntimeError:
                return
        try:
            self._task.result(timeout=15)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            self._task.cancel()
        except Exception:  # noqa: BLE001, S110 - closing: the holder already recorded what went wrong
            pass


def _leaf_exceptions(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaf_exceptions(sub)]
    return [exc]


async def _list_tools(client: Any) -> list[Any]:
    tools, cursor = [], None
    for _ in range(100):  # a paginator that never ends cannot hang the start
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


# -- MCP tools as agentkit Tools ------------------------------------------------------------


async def _call_mcp_tool(session: _Session, remote: Any, /, **arguments: Any) -> Any:
    """A converted tool's implementation: one call through ``session``."""
    result = await session.call(remote.name, arguments)
    if result.is_error:
        raise MCPToolError(f"{session.where()}, tool {remote.name!r}: {_text(result.content) or 'error (no message)'}")
    return _output(result, remote.output_schema)


def _output(result: Any, output_schema: dict[str, Any] | None) -> Any:
    """Structured content first; FastMCP wraps a non-object return value as ``{"result": value}``."""
    structured = result.structured_content
    if structured is not None:
        if (
            isinstance(structured, dict)
            and list(structured) == ["result"]
            and isinstance(output_schema, dict)
            and list(output_schema.get("properties", {})) == ["result"]
        ):
            return structured["result"]
        return structured
    return _text(result.content)


def _text(blocks: Iterable[Any]) -> Any:
    """Content blocks as text (images and audio as a short note: outputs go to models as text)."""
    parts: list[str] = []
    for block in blocks:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {getattr(block, 'mime_type', '')}, {len(getattr(block, 'data', '')) * 3 // 4} bytes]")
        elif kind == "resource":
            resource = block.resource
            parts.append(getattr(resource, "text", None) or f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
    return "\n".join(parts)


def _to_tool(session: _Session, remote: Any, name: str, source: str) -> Tool:
    parameters = {k: v for k, v in (remote.input_schema or {}).items() if k != "title"}
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    ann = remote.annotations
    destructive = bool(ann is not None and ann.destructive_hint)
    read_only = bool(ann is not None and ann.read_only_hint)
    try:
        return Tool(
            name=name,
            description=remote.description or (ann.title if ann is not None and ann.title else "") or "",
            parameters=parameters,
            needs_approval=destructive,
            # Hints as the spec defines them; a tool without annotations keeps agentkit's defaults.
            side_effects=destructive or bool(ann is not None and ann.read_only_hint is False),
            idempotent=True if ann is None or read_only or ann.idempotent_hint is None else ann.idempotent_hint,
            timeout=session.config.timeout,
            category=f"mcp:{session.name}",
            func=functools.partial(_call_mcp_tool, session, remote),
        )
    except (AgentkitError, ValueError) as exc:
        raise ToolLoadError(f"MCP tool {remote.name!r} of server {session.name!r}: {exc}", source=source) from None


class MCPTools(list[Tool]):
    """The tools of one MCP source, which also owns the sessions they call through.

    A list of :class:`Tool` (give it to ``Agent(tools=...)`` or ``ToolRegistry``); close it with
    ``await tools.aclose()``, ``tools.close()``, ``async with`` / ``with``, or let ``Agent.aclose()``
    and the end of the process do it.
    """

    def __init__(self, tools: Iterable[Tool] = (), *, servers: list[str] | None = None):
        super().__init__(tools)
        self.servers = servers or []
        self._sessions: list[_Session] = []
        self._portal: _Portal | None = None
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._portal is None

    def close(self) -> None:
        """Close every session (a stdio server gets its stdin closed, then is stopped) and the loop."""
        with self._lock:
            portal, self._portal = self._portal, None
        if portal is None:
            return
        _OPEN.pop(id(self), None)
        for session in self._sessions:
            session.stop()
        portal.stop()
        for session in self._sessions:
            if session._errlog is not None:
                session._errlog.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()



# Open sources by id (a list is not hashable); a source leaves when it is closed.
_OPEN: dict[int, MCPTools] = {}


@atexit.register
def _close_all() -> None:
    """Sessions still open when the process ends (the CLI's) are closed, so servers stop cleanly."""
    for tools in list(_OPEN.values()):
        tools.close()


def load_mcp_tools(source: str | Path | dict[str, Any] | MCPConfig) -> MCPTools:
    """Start the servers of ``source`` (``mcp.json``, ``mcp:URL`` or a config dict) and convert their tools.

    A server that cannot start (or answer its tool listing within ``start_timeout``) is an
    :class:`MCPConnectionError` naming it, with the end of its stderr; the servers already started
    are stopped again.
    """
    try:
        import mcp  # noqa: F401
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    where, config = parse_mcp_source(source)
    servers = {name: server for name, server in config.servers.items() if not server.disabled}
    if not servers:
        raise ToolLoadError("no MCP servers (mcpServers is empty or every server is disabled)", source=where)
    tools = MCPTools(servers=list(servers))
    tools._portal = _Portal()
    _OPEN[id(tools)] = tools
    try:
        listed = []
        for name, server in servers.items():
            session = _Session(name, server, tools._portal, tools)
            tools._sessions.append(session)
            listed.append((session, session.start()))
        counts: dict[str, int] = {}
        for _, remotes in listed:
            for remote in remotes:
                counts[remote.name] = counts.get(remote.name, 0) + 1
        for session, remotes in listed:
            for remote in remotes:
                name = remote.name if counts[remote.name] == 1 else f"{_safe(session.name)}_{remote.name}"
                tools.append(_to_tool(session, remote, name, where))
    except BaseException:
        tools.close()
        raise
    return tools


async def aload_mcp_tools(source: str | Path | dict[str, Any] | MCPConfig) -> MCPTools:
    """:func:`load_mcp_tools` without blocking the running event loop while the servers start."""
    return await asyncio.to_thread(load_mcp_tools, source)


def mcp_sessions(tools: Iterable[Tool]) -> list[MCPTools]:
    """The open MCP sources whose sessions ``tools`` call through (what ``Agent.aclose()`` closes)."""
    owners: list[MCPTools] = []
    for t in tools:
        func = t.func
        if isinstance(func, functools.partial) and func.func is _call_mcp_tool:
            owner = func.args[0].owner
            if not owner.closed and all(owner is not o for o in owners):
                owners.append(owner)
    return owners


async def close_mcp_sessions(tools: Iterable[Tool]) -> None:
    """Close the MCP sessions behind ``tools`` (no-op for other tools)."""
    for owner in mcp_sessions(tools):
        await owner.aclose()


__all__ = [
    "MCP_PREFIX",
    "MCPConfig",
    "MCPConnectionError",
    "MCPServerConfig",
    "MCPServerGone",
    "MCPToolError",
    "MCPTools",
    "aload_mcp_tools",
    "close_mcp_sessions",
    "is_mcp_source",
    "load_mcp_tools",
    "mcp_sessions",
    "parse_mcp_source",
]
