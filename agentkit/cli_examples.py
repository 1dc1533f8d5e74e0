"""``agentkit examples list|add|remove|export``: curate the example bank of a tool pool.

The bank of a pool is what ``--examples`` and ``--learn`` give ``run`` and ``chat``: the files
named, ``builtin`` (the shipped packs' worked examples), and what runs learned, kept in SQLite
per tool pool (``--store``, default ``~/.cache/agentkit/examples.sqlite``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import AgentkitError, ConfigError

examples_app = typer.Typer(no_args_is_help=True, help="Curate the example bank of a tool pool (list, add, remove, export).")

ToolsOpt = Annotated[list[str] | None, typer.Option("--tools", "-t", help="Tool sources of the pool (as for run; default: math, datetime, text).")]
ExamplesOpt = Annotated[list[str] | None, typer.Option("--examples", help="Example files (bank JSONL or TaskBench data.json(l)), or 'builtin'. Repeatable.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="SQLite file of learned examples (default: ~/.cache/agentkit/examples.sqlite).")]


def _bank(tools: list[str] | None, examples: list[str] | None, store: Path | None) -> Any:
    from .examples import build_bank
    from .sources import DEFAULT_PACKS, load_tools

    loaded = load_tools(*(tools or DEFAULT_PACKS))
    return build_bank(examples or [], loaded.registry, learn=True, store=store), loaded.registry


def _run(action: Any) -> None:
    from .cli_common import fail

    try:
        action()
    except AgentkitError as exc:
        fail(exc)


@examples_app.command("list")
def list_examples(tools: ToolsOpt = None, examples: ExamplesOpt = None, store: StoreOpt = None,
                  as_json: Annotated[bool, typer.Option("--json", help="Print the examples as JSON lines.")] = False) -> None:  # fmt: skip
    """The examples of the pool: files and builtin ones, then learned ones (most recently used first)."""

    def action() -> None:
        bank, _ = _bank(tools, examples, store)
        learned = {e.id for e in bank.store.examples()} if bank.store is not None else set()
        for e in bank.examples:
            if as_json:
                print(json.dumps(e.record(), ensure_ascii=False))
            else:
                origin = "learned" if e.id in learned else "file"
                print(f"{e.id}  [{origin}]  {e.request}  ->  {' -> '.join(n.task for n in e.task_nodes)}")

    _run(action)


@examples_app.command("add")
def add_example(
    request: Annotated[str, typer.Argument(help="The solved request.")],
    plan: Annotated[str, typer.Option("--plan", help='Its plan as JSON: {"task_nodes": [{"task", "arguments"}], "task_links": [{"source": 0, "target": 1}]}.')],
    tools: ToolsOpt = None, store: StoreOpt = None,
) -> None:  # fmt: skip
    """Add (or replace) the example for a request; its plan must use the pool's tools and be valid."""

    def action() -> None:
        from .examples.example import parse_record
        from .planning import validate_plan
        from .toolgraph import ToolGraph

        try:
            raw = json.loads(plan)
        except ValueError as exc:
            raise ConfigError(f"--plan is not valid JSON ({exc})") from None
        bank, registry = _bank(tools, None, store)
        example = parse_record({**raw, "request": request} if isinstance(raw, dict) else raw, registry=registry, where="--plan")
        problems = validate_plan(example.plan(), registry, ToolGraph(registry))
        if problems:
            raise ConfigError(f"--plan: {problems[0]}")
        stored = bank.add(example)
        print(f"added {stored.id}")

    _run(action)


@examples_app.command("remove")
def remove_example(example_id: Annotated[str, typer.Argument(help="The id shown by `agentkit examples list`.")],
                   tools: ToolsOpt = None, store: StoreOpt = None) -> None:  # fmt: skip
    """Remove a learned example from the pool's bank."""

    def action() -> None:
        bank, _ = _bank(tools, None, store)
        if not bank.store.remove(example_id):
            raise ConfigError(f"no learned example {example_id!r} for this tool pool (see `agentkit examples list`)")
        print(f"removed {example_id}")

    _run(action)


@examples_app.command("export")
def export_examples(out: Annotated[Path, typer.Argument(help="The bank JSONL file to write.")],
                    tools: ToolsOpt = None, examples: ExamplesOpt = None, store: StoreOpt = None) -> None:  # fmt: skip
    """Write the pool's bank (files, builtin and learned examples) as bank JSONL, for --examples."""

    def action() -> None:
        from .examples import write_examples

        bank, _ = _bank(tools, examples, store)
        print(f"wrote {write_examples(bank.examples, out)} examples to {out}")

    _run(action)


__all__ = ["examples_app"]
