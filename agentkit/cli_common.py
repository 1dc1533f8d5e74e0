"""What the command modules share: consoles, the agent option types (their --help reads the
registries), one-line errors, plain JSON output, tool sources and agent building."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from .errors import AgentkitError, ConfigError
from .planners import PLANNERS
from .plugins import Registry
from .retrieval.registry import RETRIEVERS
from .sources import DEFAULT_PACKS, LoadedTools, load_tools
from .tools import PACKS

err = Console(stderr=True)
out = Console()


def names_of(registry: Registry[Any]) -> str:
    """The names a registry knows (plugins' included), for --help."""
    names = registry.names()
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else ", ".join(names)


# Agent options default to None (= not given) so that a config file can supply them; see agent_options.
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model spec for every role, e.g. llamacpp:default or openai:MODEL@URL. Default: llamacpp:default."),
]
RoleOpt = Annotated[str | None, typer.Option(help="Model spec for this role (default: --model).")]
AlphaOpt = Annotated[float | None, typer.Option(min=0.0, max=1.0, help="A* weight of cost against quality (1 = cheapest). Default: 0.5.")]
StrategyOpt = Annotated[str | None, typer.Option(help=f"Planner strategy: {names_of(PLANNERS)}. Default: one-shot.")]
RetrieverOpt = Annotated[str | None, typer.Option(help=f"Tool retriever: {names_of(RETRIEVERS)}. Default: hybrid.")]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help=(
            "TOML config file with defaults for the model, role, tools, alpha, strategy and retriever options"
            " (keys: model, planner, caller, summarizer, tools, alpha, strategy, retriever); flags override it"
            " key by key, and AGENTKIT_MODEL, AGENTKIT_TOOLS, ... (the keys in capitals) override the file."
            " Default: $AGENTKIT_CONFIG if set, else ./agentkit.toml if it exists."
        ),
    ),
]
ToolsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tools",
        "-t",
        help=(
            "Tools to use (repeatable; default: math, datetime, text). A pack name"
            f" ({', '.join(n for n in PACKS.names() if n != 'taskbench')}), a pack with options as PACK:key=value[,key=value] (list values separated by ';', e.g."
            " 'http:allow_hosts=example.org;api.example.org', 'files:root=/tmp/x'; PACK:VALUE sets the first option),"
            " a TaskBench domain folder (tool_desc.json [+ graph_desc.json]; its tools run simulated, also"
            " taskbench:DIR), a tool file: OpenAI JSON, tools.jsonl, .py with @tool functions, or MCP servers:"
            " an mcp.json ({\"mcpServers\": ...}) or mcp:URL (streamable HTTP)."
        ),
    ),
]


def load_tool_sources(sources: list[str] | None) -> LoadedTools:
    """The ``--tools`` sources (default: math, datetime, text), loaded by :func:`agentkit.load_tools`."""
    return load_tools(*(sources or DEFAULT_PACKS))


def agent_options(config_file: Path | None, **flags: Any) -> dict[str, Any]:
    """The agent options: flags given on the command line, else the environment (AGENTKIT_MODEL, ...),
    else the config file's keys, else the defaults.

    The file is --config, else $AGENTKIT_CONFIG, else ./agentkit.toml if present; a bad one (or a
    bad AGENTKIT_* variable) ends the command with one error line (exit code 2).
    """
    from .config import find_config, load_config, merge_options, with_env

    try:
        path = find_config(config_file)
        return merge_options(with_env(load_config(path) if path is not None else None), **flags)
    except AgentkitError as exc:
        fail(exc)
        raise  # unreachable: _fail exits


def build_agent(tools: list[str] | None, **options: Any) -> Any:
    """An Agent from CLI options; misconfiguration ends the command with one error line."""
    from .agent import Agent

    # The shipped packs' worked examples plan by default (a 270M base model copies its one fixed
    # example otherwise); `--examples none` plans without a bank.
    examples = options.get("examples")
    if examples is None:
        options["examples"] = "builtin"
    elif list(examples) == ["none"]:
        options["examples"] = None
    try:
        loaded = load_tool_sources(tools)
        return Agent(loaded.registry, links=loaded.links, **options)
    except AgentkitError as exc:
        fail(exc)


def error_line(message: str) -> None:
    """One ``error: ...`` line on stderr, never wrapped (whatever the terminal width)."""
    from .sanitize import printable

    err.print(f"[bold red]error:[/] {escape(printable(' '.join(message.split())))}", highlight=False, soft_wrap=True)


def fail(exc: BaseException) -> None:
    error_line(str(exc))
    raise typer.Exit(2 if isinstance(exc, ConfigError) else 1)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (for scripts) instead of a table.")]


def print_json(data: Any) -> None:
    """Plain JSON on stdout: never wrapped, highlighted or styled, and inert on a terminal."""
    from .sanitize import inert_json

    print(inert_json(json.dumps(data, indent=2, ensure_ascii=False, default=str)))



__all__ = [
    "AlphaOpt", "ConfigOpt", "JsonOpt", "ModelOpt", "RetrieverOpt", "RoleOpt", "StrategyOpt", "ToolsOpt", "agent_options",
    "build_agent", "err", "error_line", "fail", "load_tool_sources", "names_of", "out", "print_json",
]  # fmt: skip
