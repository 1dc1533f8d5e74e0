"""The agent as an MCP server (``agentkit serve mcp``), over stdio or streamable HTTP.

Tools it offers:

* ``run``: a request in; the answer, the status, the plan and every node's result out. A call that
  needs approval stops the run with status ``interrupted`` and its ``thread_id``;
* ``resume``: decide the pending calls of an interrupted run (``approve`` true or false);
* ``plan``: the plan for a request without executing it (retrieval, then the planner strategy);
* with ``expose_tools``, the pool's own tools, each with its parameter schema
  (``destructiveHint`` when it needs approval), so one server can offer packs, files and the
  tools of other MCP servers together.

Results are structured content (with the same JSON as text); agentkit errors are ``isError``
results naming the problem. Needs the ``mcp`` extra.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_jsonable_python

from .errors import AgentkitError, ConfigError
from .mcp_client import INSTALL_HINT

_REQUEST = {"type": "string", "description": "what the agent should do, in plain language"}
_PLAN = {"type": ["object", "null"], "description": "the tool graph: task_steps, task_nodes (tool and arguments), task_links"}

RUN_INPUT = {
    "type": "object",
    "properties": {
        "request": _REQUEST,
        "thread_id": {"type": "string", "description": "names the run (resume it by this id); default: a new one"},
    },
    "required": ["request"],
}
RESUME_INPUT = {
    "type": "object",
    "properties": {
        "thread_id": {"type": "string", "description": "the interrupted run"},
        "approve": {"type": "boolean", "description": "true runs the pending calls as shown, false rejects them"},
    },
    "required": ["thread_id", "approve"],
}
PLAN_INPUT = {"type": "object", "properties": {"request": _REQUEST}, "required": ["request"]}
RUN_OUTPUT = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "status": {"type": "string", "enum": ["ok", "partial", "unsolvable", "failed", "interrupted", "cancelled"]},
        "plan": _PLAN,
        "nodes": {"type": "array", "items": {"type": "object"}, "description": "each node: tool, status, output or error"},
        "thread_id": {"type": ["string", "null"]},
        "pending_approvals": {"type": "array", "items": {"type": "object"}},
        "unsolvable": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"]},
    },
    "required": ["answer", "status", "plan", "nodes"],
}
PLAN_OUTPUT = {
    "type": "object",
    "properties": {"plan": _PLAN, "retrieved": {"type": "array", "items": {"type": "string"}}},
    "required": ["plan", "retrieved"],
}
OWN_TOOLS = ("run", "resume", "plan")


def _listing(agent: Any, expose_tools: bool) -> list[Any]:
    from mcp_types import Tool as MCPTool
    from mcp_types import ToolAnnotations

    listed = [
        MCPTool(
            name="run", input_schema=RUN_INPUT, output_schema=RUN_OUTPUT,
            description=("Answer a request with agentkit: it picks tools, plans a tool graph, runs it and summarises."
                         f" Tools: {', '.join(agent.registry.names[:20])}{' ...' if len(agent.registry) > 20 else ''}."),
        ),
        MCPTool(
            name="resume", input_schema=RESUME_INPUT, output_schema=RUN_OUTPUT,
            description="Approve or reject the pending calls of a run that stopped with status 'interrupted'.",
        ),
        MCPTool(
            name="plan", input_schema=PLAN_INPUT, output_schema=PLAN_OUTPUT,
            description="The plan (tool graph) agentkit would run for a request, without running it.",
        ),
    ]  # fmt: skip
    if expose_tools:
        for t in agent.registry:
            if t.name in OWN_TOOLS or t.func is None:
                continue  # the agent's own tools keep their names; documentation-only tools cannot run
            annotations = ToolAnnotations(destructive_hint=True) if t.needs_approval else None
            listed.append(MCPTool(name=t.name, description=t.description, input_schema=t.parameters, annotations=annotations))
    return listed


def _run_output(result: Any) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    nodes = [
        {k: node[k] for k in ("index", "tool", "status", "output", "error") if node.get(k) is not None}
        for node in data["nodes"]
    ]  # fmt: skip
    return {
        "answer": data["answer"], "status": data["status"], "plan": data["plan"], "nodes": nodes,
        "thread_id": data["thread_id"], "pending_approvals": data["pending_approvals"],
        "unsolvable": data["unsolvable"], "error": data["error"],
    }  # fmt: skip


async def plan_only(agent: Any, request: str) -> dict[str, Any]:
    """Retrieval and the planner strategy, as a run does them, and nothing executed."""
    retrieved = [r.name for r in agent.retrieve(request)]
    outcome = await agent.strategy.plan(
        request, [agent.registry.get(n) for n in retrieved], model=agent.models["planner"],
        registry=agent.registry, graph=agent.graph,
    )  # fmt: skip
    return {"plan": outcome.plan.model_dump(mode="json"), "retrieved": retrieved}


async def _dispatch(agent: Any, name: str, arguments: dict[str, Any], expose_tools: bool) -> Any:
    if name == "run":
        return _run_output(await agent.run(_text_arg(arguments, "request"), thread_id=arguments.get("thread_id") or None))
    if name == "resume":
        approve = arguments.get("approve")
        if not isinstance(approve, bool):
            raise ConfigError("'approve' must be true or false")
        return _run_output(await agent.resume(_text_arg(arguments, "thread_id"), approve=approve))
    if name == "plan":
        return await plan_only(agent, _text_arg(arguments, "request"))
    if expose_tools and name in agent.registry and name not in OWN_TOOLS:
        return await agent.registry.get(name).acall(arguments)
    raise ConfigError(f"unknown tool {name!r}")


def _text_arg(arguments: dict[str, Any], key: str) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key!r} must be a non-empty string")
    return value


def build_server(agent: Any, *, expose_tools: bool = False, name: str = "agentkit") -> Any:
    """A low-level MCP ``Server`` over ``agent`` (the tool schemas are agentkit's, so no function signatures)."""
    try:
        import mcp_types as types
        from mcp.server.lowlevel import Server
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    from importlib.metadata import version

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=_listing(agent, expose_tools))

    async def call_tool(ctx: Any, params: Any) -> Any:
        try:
            data = to_jsonable_python(await _dispatch(agent, params.name, params.arguments or {}, expose_tools), fallback=str)
        except AgentkitError as exc:
            return types.CallToolResult(content=[types.TextContent(type="text", text=str(exc))], is_error=True)
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        structured = data if isinstance(data, dict) else None
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)

    return Server(name, version=version("agentkit"), on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(agent: Any, *, expose_tools: bool = False) -> None:
    """Serve over this process's stdin/stdout until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    server = build_server(agent, expose_tools=expose_tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def serve_http(agent: Any, host: str, port: int, *, expose_tools: bool = False) -> None:
    """Serve streamable HTTP at ``http://HOST:PORT/mcp`` (DNS-rebinding protection on for local hosts)."""
    import uvicorn

    _check_address(host, port)
    app = build_server(agent, expose_tools=expose_tools).streamable_http_app(host=host)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).serve()


def _check_address(host: str, port: int) -> None:
    """A port in use or a host that is not this machine's is one ConfigError (uvicorn would log and exit)."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` parsed and checked free before anything slow (loading models) starts."""
    host, port = parse_host_port(text)
    _check_address(host, port)
    return host, port


def parse_host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6); ConfigError otherwise."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--http expects HOST:PORT, e.g. 127.0.0.1:8000, got {text!r}")
    return host, int(port)


__all__ = ["build_server", "listen_address", "parse_host_port", "plan_only", "serve_http", "serve_stdio"]
