"""``agentkit bench``: evaluation commands (TaskBench runs and scoring, retrieval)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from agentkit.errors import AgentkitError, ConfigError
from agentkit.planners import PLANNERS
from agentkit.retrieval.registry import RETRIEVERS

bench_app = typer.Typer(no_args_is_help=True, help="Evaluate: TaskBench runs and scores, tool retrieval.")

_err = Console(stderr=True)


@contextlib.contextmanager
def _clean_errors() -> Iterator[None]:
    """Any agentkit error ends the command with one ``error: ...`` line (exit 2: fix your input; 1: a run failed)."""
    try:
        yield
    except AgentkitError as exc:
        _err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None


def _choice(value: str | None, flag: str, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ConfigError(f"{flag} must be one of {', '.join(allowed)}, not {value!r}")


def _existing_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise ConfigError(f"{path}: no such folder ({what})")
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder ({what})")


def _sample_progress(counter: str, *, quiet: bool) -> Any:
    """A progress bar over samples with one running count (task field ``counter``) on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn(f"{{task.fields[{counter}]}} {counter}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=_err, disable=quiet,
    )  # fmt: skip


# -- score ---------------------------------------------------------------------------------


@bench_app.command()
def score(
    data: Annotated[Path, typer.Option("--data", help="TaskBench domain folder (data.jsonl or data.json + tool_desc.json).")],
    predictions: Annotated[Path, typer.Option("--predictions", help="Prediction file (JSON Lines of {id, result}).")],
    mode: Annotated[str, typer.Option(help="official (upstream evaluate.py) or strict (every gold sample, failures as empty plans).")] = "official",
    as_json: Annotated[bool, typer.Option("--json", help="Print the full score as JSON instead of the table.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Also write what is printed to this file.")] = None,
) -> None:
    """Score a TaskBench prediction file against a domain's gold data."""
    from agentkit.bench.taskbench_score import format_score_table, score_predictions

    with _clean_errors():
        _choice(mode, "--mode", ("official", "strict"))
        _existing_dir(data, "--data")
        if not predictions.is_file():
            raise ConfigError(f"{predictions}: no such file (--predictions)")
        result = score_predictions(data, predictions, mode=mode)  # type: ignore[arg-type]
        text = result.model_dump_json(indent=2) if as_json else format_score_table(result)
        print(text)
        if out is not None:
            out.write_text(text + "\n", encoding="utf-8")


# -- taskbench -----------------------------------------------------------------------------


@bench_app.command()
def taskbench(
    data: Annotated[Path, typer.Option("--data", help="TaskBench domain folder (huggingface, multimedia, dailylifeapis).")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model spec, e.g. llamacpp:default or openai:MODEL@URL (not needed by --system nearest).")] = None,
    system: Annotated[str, typer.Option(help="agentkit (retriever + constrained planner), reference (TaskBench's own prompt) or nearest (no model: copy the plan of the most similar example).")] = "agentkit",
    examples: Annotated[Path | None, typer.Option("--examples", help="Example bank: a TaskBench data.json(l) or bank JSONL. agentkit: shows the planner the k nearest; nearest: the bank it copies from (default: the domain's data file). The sample itself is always excluded (by id and identical request).")] = None,
    k: Annotated[int, typer.Option("--k", help="agentkit system with --examples: nearest examples shown to the planner.")] = 3,
    limit: Annotated[int | None, typer.Option(help="Only the first N samples (after --type).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only samples of this type: single, chain or dag.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run folder (default: runs/taskbench-DOMAIN-SYSTEM). An existing run resumes.")] = None,
    concurrency: Annotated[int, typer.Option(help="Samples in flight at once (with --backend ray: workers, one sample each).")] = 1,
    backend: Annotated[str, typer.Option(help="local (this process) or ray (a Ray cluster; needs the optional ray extra).")] = "local",
    address: Annotated[str | None, typer.Option(help="--backend ray: cluster address (auto, HOST:PORT, ray://HOST:PORT); default: start a local Ray instance.")] = None,
    retriever: Annotated[str, typer.Option(help=f"agentkit system: {', '.join(RETRIEVERS.names())}, or none (all tools).")] = "hybrid",
    top_k: Annotated[int, typer.Option("--top-k", help="agentkit system: tools retrieved for the planner.")] = 8,
    strategy: Annotated[str, typer.Option(help=f"agentkit system: planner strategy, {' or '.join(PLANNERS.names())}.")] = "one-shot",
    demos: Annotated[int, typer.Option(help="reference system: upstream's fixed in-context examples (0-3).")] = 0,
    reformat: Annotated[bool, typer.Option(help="reference system: ask the model once to rewrite an unparseable answer.")] = False,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="reference system: new-token limit (upstream: 2000).")] = 2000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Plan TaskBench samples with a system, write predictions.jsonl, metrics.json and report.md."""
    from agentkit.bench.run import BACKENDS, SYSTEMS, TYPES, run_taskbench

    with _clean_errors():
        _choice(system, "--system", SYSTEMS)
        _choice(backend, "--backend", BACKENDS)
        if address is not None and backend != "ray":
            raise ConfigError("--address needs --backend ray")
        _choice(type_, "--type", TYPES)
        _choice(retriever, "--retriever", (*RETRIEVERS.names(), "none"))
        _choice(strategy, "--strategy", tuple(PLANNERS.names()))
        _existing_dir(data, "--data")
        if model is None and system != "nearest":
            raise ConfigError(f"--model is required for --system {system}")
        if k < 1:
            raise ConfigError(f"--k must be at least 1, got {k}")
        if limit is not None and limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {limit}")
        if concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
        if top_k < 1:
            raise ConfigError(f"--top-k must be at least 1, got {top_k}")
        if max_tokens < 1:
            raise ConfigError(f"--max-tokens must be at least 1, got {max_tokens}")
        out = out or Path("runs") / f"taskbench-{data.resolve().name}-{system}"
        progress = _sample_progress("failed", quiet=quiet)
        task_id = progress.add_task(f"{system} on {data.resolve().name}", total=None, failed=0)
        failed = 0

        def on_start(total: int, already: int) -> None:
            progress.update(task_id, total=total, completed=already)
            if already and not quiet:
                progress.console.print(f"resuming: {already} of {total} samples already in {out / 'predictions.jsonl'}")

        def on_done(sample: Any, ok: bool) -> None:
            nonlocal failed
            failed += 0 if ok else 1
            progress.update(task_id, advance=1, failed=failed)

        with progress:
            summary = run_taskbench(
                data, model or "none", system=system, examples=examples, k=k, out=out, limit=limit, type=type_, concurrency=concurrency,
                retriever=None if retriever == "none" else retriever, top_k=top_k, strategy=strategy,
                demos=demos, reformat=reformat, max_tokens=max_tokens, backend=backend, address=address,
                on_start=on_start, on_done=on_done,
            )  # fmt: skip
    metrics = summary.metrics
    off, strict = metrics["official"]["overall"], metrics["strict"]["overall"]
    cov = metrics["strict"]["coverage"]

    def f1s(g: dict[str, Any]) -> str:
        return "  ".join(f"{label} {('n/a' if g[k] is None else f'{g[k]:.2f}')}" for k, label in (("n_f1", "n-F1"), ("e_f1", "e-F1"), ("t_f1", "t-F1"), ("v_f1", "v-F1")))

    mean = metrics["timing"]["mean_s_per_sample"]
    print(f"{summary.selected} samples: {summary.skipped} already done, {summary.done} predicted now, {summary.failed} failed now")
    print(f"official: {f1s(off)}")
    print(f"strict:   {f1s(strict)}")
    print(f"coverage: {cov['present']}/{cov['gold']} predicted, {cov['valid']}/{cov['gold']} readable; "
          f"time per sample {'n/a' if mean is None else f'{mean:.2f} s'}")  # fmt: skip
    print(f"wrote {summary.out / 'predictions.jsonl'}, {summary.out / 'metrics.json'}, {summary.out / 'report.md'}")


# -- compare -------------------------------------------------------------------------------


@bench_app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="First run folder (has metrics.json).")],
    run_b: Annotated[Path, typer.Argument(help="Second run folder.")],
    more: Annotated[list[Path] | None, typer.Argument(help="More run folders (e.g. agentkit with examples, without, and nearest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics objects as JSON.")] = False,
) -> None:
    """TaskBench runs side by side, with the deltas to the first (B - A, ...): any of the systems
    (agentkit, agentkit with --examples, nearest, reference)."""
    from agentkit.bench.report import compare as compare_runs
    from agentkit.bench.report import compare_many, load_metrics

    folders = [run_a, run_b, *(more or [])]
    with _clean_errors():
        runs = [load_metrics(f) for f in folders]
    if as_json:
        print(json.dumps({chr(97 + i): m for i, m in enumerate(runs)}, indent=2))
    elif len(runs) == 2:
        print(compare_runs(runs[0], runs[1], (str(run_a), str(run_b))))
    else:
        print(compare_many(runs, [str(f) for f in folders]))


# -- retrieval -----------------------------------------------------------------------------


def load_queries(path: Path) -> list[dict[str, Any]]:
    """toolret ``queries.jsonl``: id, query, gold (list of tool names), group. Every other field
    (``candidates`` in particular: it gives the answer away) is dropped here, before any retriever."""
    queries = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise ConfigError(f"{path}:{number}: not valid JSON") from None
        if not isinstance(row, dict) or not isinstance(row.get("query"), str):
            raise ConfigError(f"{path}:{number}: expected an object with a string 'query'")
        gold = row.get("gold")
        if isinstance(gold, str):
            gold = [gold]
        if not isinstance(gold, list) or not gold or not all(isinstance(g, str) for g in gold):
            raise ConfigError(f"{path}:{number}: 'gold' must be a non-empty list of tool names")
        queries.append({"id": str(row.get("id", number)), "query": row["query"], "gold": gold, "group": str(row.get("group") or "all")})
    if not queries:
        raise ConfigError(f"{path}: no queries")
    return queries


def parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ConfigError(f"--k takes comma-separated positive integers such as 1,5,10, not {text!r}") from None
    if not ks or ks[0] < 1:
        raise ConfigError(f"--k takes comma-separated positive integers such as 1,5,10, not {text!r}")
    return ks


def _refuse_bm25_as_hybrid(retriever: str, why: str | None) -> None:
    """A hybrid retriever without its dense part ranks by BM25 alone: its figures must not be reported as hybrid."""
    if retriever == "hybrid" and why:
        raise ConfigError(
            f"--retriever hybrid needs dense retrieval, which is unavailable here ({why}); "
            "its figures would be BM25's: add dense retrieval, or measure --retriever bm25"
        )


def evaluate_retrieval(data: Path, retriever: str = "hybrid", ks: list[int] | tuple[int, ...] = (1, 5, 10)) -> dict[str, Any]:
    """NDCG@k, Recall@k, pass@k of a retriever on a toolret-format folder, overall and per group."""
    from agentkit.loaders import load_tools_jsonl
    from agentkit.retrieval import HybridRetriever, dense_unavailable, evaluate, make_retriever

    _existing_dir(data, "--data")
    for name in ("tools.jsonl", "queries.jsonl"):
        if not (data / name).is_file():
            raise ConfigError(f"{data}: no {name} (the toolret format needs tools.jsonl and queries.jsonl)")
    tools = list(load_tools_jsonl(data / "tools.jsonl"))
    queries = load_queries(data / "queries.jsonl")
    _refuse_bm25_as_hybrid(retriever, dense_unavailable())
    index = make_retriever(retriever, tools)  # type: ignore[arg-type]
    if isinstance(index, HybridRetriever) and not index.fused:  # the weights are there but would not load
        _refuse_bm25_as_hybrid(retriever, index.note or "the dense part did not load")
    depth = max(ks)
    rankings = [[hit.name for hit in index.search(q["query"], k=depth)] for q in queries]
    metrics = [(metric, k) for metric in ("ndcg", "recall", "pass") for k in ks]
    result = evaluate(rankings, [q["gold"] for q in queries], [q["group"] for q in queries], metrics=metrics)
    names = {t.name for t in tools}
    return {
        "retriever": retriever,
        "tools": len(tools),
        "queries": len(queries),
        "unknown_gold": sorted({g for q in queries for g in q["gold"] if g not in names}),
        "overall": result.overall,
        "groups": result.groups,
        "counts": result.counts,
    }


@bench_app.command()
def retrieval(
    data: Annotated[Path, typer.Option("--data", help="toolret-format folder: tools.jsonl + queries.jsonl.")],
    retriever: Annotated[str, typer.Option(help="bm25, dense or hybrid.")] = "hybrid",
    k: Annotated[str, typer.Option("--k", help="Cut-offs, comma-separated.")] = "1,5,10",
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Tool retrieval quality: NDCG@k, Recall@k and pass@k (all gold tools in the top k), overall and per group."""
    from agentkit.retrieval.metrics import format_table

    with _clean_errors():
        _choice(retriever, "--retriever", ("bm25", "dense", "hybrid"))
        result = evaluate_retrieval(data, retriever, parse_ks(k))
    if as_json:
        print(json.dumps(result, indent=2))
        return
    rows = {"overall": result["overall"], **{f"group={g}": v for g, v in result["groups"].items()}}
    counts = {"overall": result["counts"]["overall"], **{f"group={g}": result["counts"][g] for g in result["groups"]}}
    print(f"{result['retriever']} retriever, {result['tools']} tools, {result['queries']} queries (percent)\n")
    print(format_table(rows, counts=counts))
    if result["unknown_gold"]:
        print(f"\nnote: {len(result['unknown_gold'])} gold tool(s) are not in tools.jsonl: {', '.join(result['unknown_gold'][:10])}")


# -- bfcl ----------------------------------------------------------------------------------


@bench_app.command()
def bfcl(
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Category, repeatable or comma-separated (simple, multiple, parallel, parallel_multiple, irrelevance, live_*, java, javascript; 'all', 'live'). Default: the first five.")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Model spec for the caller, e.g. llamacpp:default or openai:MODEL@URL.")] = "llamacpp:default",
    limit: Annotated[int | None, typer.Option(help="Only the first N samples of each category.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Folder with BFCL_v*_<category>.json + possible_answer/ (default: the installed bfcl-eval package).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run folder (default: runs/bfcl-MODEL). An existing run resumes.")] = None,
    concurrency: Annotated[int, typer.Option(help="Samples in flight at once (with --backend ray: workers, one sample each).")] = 1,
    backend: Annotated[str, typer.Option(help="local (this process) or ray (a Ray cluster; needs the optional ray extra). Answers are scored here either way.")] = "local",
    address: Annotated[str | None, typer.Option(help="--backend ray: cluster address (auto, HOST:PORT, ray://HOST:PORT); default: start a local Ray instance.")] = None,
    examples: Annotated[int | None, typer.Option("--examples", help="Show the caller the K nearest other samples of the same category (with their answers) instead of the fixed examples; never the sample itself.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics.json instead of the table.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """The caller on BFCL's single-turn categories, scored by BFCL's AST checker; results.jsonl + metrics.json."""
    import re

    from agentkit.bench.bfcl import format_table, run_bfcl
    from agentkit.bench.bfcl_data import select_categories

    with _clean_errors():
        categories = select_categories(category)
        if limit is not None and limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {limit}")
        if concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
        if data is not None:
            _existing_dir(data, "--data")
        out = out or Path("runs") / ("bfcl-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_"))
        progress = _sample_progress("correct", quiet=quiet)
        task_id = progress.add_task(f"bfcl {model}", total=None, correct=0)
        correct = 0

        def on_start(total: int, already: int) -> None:
            progress.update(task_id, total=total, completed=already)
            if already and not quiet:
                progress.console.print(f"resuming: {already} of {total} samples already in {out / 'results.jsonl'}")

        def on_done(result: Any) -> None:
            nonlocal correct
            correct += int(result.valid)
            progress.update(task_id, advance=1, correct=correct)

        with progress:
            summary = run_bfcl(model, categories=categories, out=out, data_dir=data, limit=limit, concurrency=concurrency,
                               examples=examples, backend=backend, address=address, on_start=on_start, on_done=on_done)  # fmt: skip
    if as_json:
        print(json.dumps(summary.metrics, indent=2))
        return
    print(f"BFCL ({summary.metrics['run']['data']}), caller {summary.metrics['run']['model']}: {summary.selected} samples, "
          f"{summary.skipped} already done, {summary.done} answered now, {summary.errors} failed now\n")  # fmt: skip
    print(format_table(summary.metrics))
    print(f"wrote {summary.out / 'results.jsonl'}, {summary.out / 'metrics.json'}")


__all__ = ["bench_app", "evaluate_retrieval", "load_queries", "parse_ks"]
