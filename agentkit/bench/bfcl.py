"""``agentkit bench bfcl``: the caller role on BFCL's single-turn categories, scored by BFCL's AST checker.

For every sample the function docs become agentkit tools; the model answers under one bounded
JSON Schema (a call of one of the given functions, a list of calls for parallel categories, or
the refusal ``{"function": "none"}``) through :func:`generate_object` (one repair round); the
answer is converted to BFCL's ``[{name: {arg: value}}]`` and checked.

A run folder holds::

    run.json        model and data; a resume must agree with them
    results.jsonl   one line per sample attempt: id, category, predicted, valid, error, ...
    metrics.json    accuracy per category, overall, irrelevance detection, timing

A run that stops continues where it stopped: samples with a recorded answer are skipped;
samples whose model call failed (``status: error``) are tried again.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agentkit.bench.bfcl_checker import score
from agentkit.bench.bfcl_data import CATEGORIES, BfclSample, Category, data_source, load_category
from agentkit.bench.bfcl_schema import call_schema, function_tool, to_bfcl
from agentkit.errors import ConfigError, StructuredOutputError
from agentkit.models import ChatModel, Message, Usage, generate_object
from agentkit.prompting import render

Status = Literal["ok", "unparsed", "error"]  # answered; no valid answer after the repair round; the call failed
RAW_CHARS = 2000


class Answer(BaseModel):
    calls: list[dict[str, Any]]  # BFCL's decoded format; [] is a refusal
    raw: str
    usage: Usage


class SampleResult(BaseModel):
    """One line of results.jsonl."""

    id: str
    category: str
    status: Status
    predicted: list[dict[str, Any]] | None  # None when there is no usable answer
    valid: bool
    refused: bool = False
    error: str | None = None
    error_type: str | None = None
    raw: str | None = None
    elapsed_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class BfclCaller:
    """Picks a function (or refuses) and fills its arguments for one BFCL sample, under a bounded schema."""

    def __init__(self, model: ChatModel, *, max_chars: int = 200, max_calls: int = 8, max_tokens: int = 256, parallel_max_tokens: int = 640,
                 banks: dict[str, Any] | None = None, k: int = 3):  # fmt: skip
        self.banks = banks or {}  # per category: other samples as demonstrations (bench bfcl --examples)
        self.k = k
        self.model = model
        self.max_chars = max_chars
        self.max_calls = max_calls
        self.max_tokens = max_tokens
        self.parallel_max_tokens = parallel_max_tokens

    async def answer(self, sample: BfclSample) -> Answer:
        category = CATEGORIES[sample.category]
        tools = [function_tool(f, category.language) for f in sample.functions]
        schema = call_schema(tools, parallel=category.parallel, max_chars=self.max_chars, max_calls=self.max_calls)
        from agentkit.bench.bfcl_examples import demonstrations

        demos = demonstrations(self.banks.get(sample.category), sample, self.k)
        prompt = render("bfcl_caller", tools=tools, messages=sample.messages, parallel=category.parallel, demos=demos)
        result = await generate_object(
            self.model,
            [Message(role="user", content=prompt)],
            schema,
            max_tokens=self.parallel_max_tokens if category.parallel else self.max_tokens,
        )
        return Answer(calls=to_bfcl(result.parsed, sample.functions, category.language), raw=result.text, usage=result.usage)


async def evaluate_sample(caller: BfclCaller, sample: BfclSample) -> SampleResult:
    """Answer and score one sample; any failure is recorded in the result, never raised."""
    category = CATEGORIES[sample.category]
    started = time.perf_counter()
    base = {"id": sample.id, "category": sample.category}
    try:
        answer = await caller.answer(sample)
    except StructuredOutputError as exc:  # BFCL's "could not decode": no call (right for irrelevance)
        verdict = score(category, sample.functions, None, sample.ground_truth)
        return SampleResult(
            **base, status="unparsed", predicted=None, valid=verdict.valid, error=str(exc)[:RAW_CHARS],
            error_type="StructuredOutputError", raw=(exc.raw or "")[:RAW_CHARS] or None,
            elapsed_s=round(time.perf_counter() - started, 3),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one failing sample never ends the run
        return SampleResult(
            **base, status="error", predicted=None, valid=False, error=str(exc)[:RAW_CHARS],
            error_type=type(exc).__name__, elapsed_s=round(time.perf_counter() - started, 3),
        )  # fmt: skip
    verdict = score(category, sample.functions, answer.calls, sample.ground_truth)
    return SampleResult(
        **base, status="ok", predicted=answer.calls, valid=verdict.valid, refused=not answer.calls,
        error=verdict.error, error_type=verdict.error_type, raw=answer.raw[:RAW_CHARS],
        elapsed_s=round(time.perf_counter() - started, 3),
        prompt_tokens=answer.usage.prompt_tokens, completion_tokens=answer.usage.completion_tokens,
    )  # fmt: skip


# -- run folder ----------------------------------------------------------------------------


def read_results(path: Path) -> dict[str, SampleResult]:
    """The last recorded result per id (a line cut by a crash is ignored)."""
    found: dict[str, SampleResult] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = SampleResult.model_validate_json(line)
            except ValueError:
                continue
            found[record.id] = record
    return found


def _check_resume(out: Path, info: dict[str, Any]) -> None:
    path = out / "run.json"
    if not path.is_file():
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ConfigError(f"{path}: not valid JSON; remove it or use another --out") from None
    for key in ("model", "data"):
        if before.get(key) != info[key]:
            raise ConfigError(f"{out} holds a run with {key}={before.get(key)!r}, not {info[key]!r}: use another --out")


class BfclSummary(BaseModel):
    out: Path
    selected: int
    skipped: int
    done: int
    errors: int  # model calls that failed in this invocation
    metrics: dict[str, Any]


def run_bfcl(
    model: str | ChatModel,
    *,
    categories: list[Category],
    out: Path,
    data_dir: Path | None = None,
    limit: int | None = None,
    concurrency: int = 1,
    examples: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[SampleResult], None] | None = None,
) -> BfclSummary:
    """Answer the first ``limit`` samples of each category, append results, write metrics.json.

    ``examples=k`` shows the caller the ``k`` nearest other samples of the same category (with
    their possible answers) instead of the fixed examples; the sample itself never."""
    from agentkit.bench.bfcl_checker import load_checker
    from agentkit.models import load_model, parse_model_spec

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    if isinstance(model, str):
        parse_model_spec(model)
    folder, source = data_source(data_dir)
    samples = [s for c in categories for s in load_category(folder, c, limit=limit, where=source)]
    load_checker()  # a clear error before anything slow
    if examples is not None and examples < 1:
        raise ConfigError(f"--examples must be at least 1, got {examples}")
    info: dict[str, Any] = {"model": model if isinstance(model, str) else model.name, "data": source}
    banks = None
    if examples is not None:
        from agentkit.bench.bfcl_examples import category_banks

        info["examples"] = examples
        banks = category_banks(s for c in categories for s in load_category(folder, c, where=source))
    _check_resume(out, info)
    chat_model = load_model(model) if isinstance(model, str) else model
    out.mkdir(parents=True, exist_ok=True)
    (out / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    results_path = out / "results.jsonl"
    known = read_results(results_path)
    pending = [s for s in samples if s.id not in known or known[s.id].status == "error"]
    if on_start:
        on_start(len(samples), len(samples) - len(pending))
    caller = BfclCaller(chat_model, banks=banks, k=examples or 3)
    counts = {"done": 0, "errors": 0}

    async def run_all() -> None:
        gate = asyncio.Semaphore(concurrency)
        if results_path.is_file() and results_path.stat().st_size and not results_path.read_bytes().endswith(b"\n"):
            with results_path.open("ab") as fh:  # a line cut by a crash stays on its own line
                fh.write(b"\n")
        with results_path.open("a", encoding="utf-8") as fh:

            async def one(sample: BfclSample) -> None:
                async with gate:
                    result = await evaluate_sample(caller, sample)
                fh.write(result.model_dump_json() + "\n")
                fh.flush()
                counts["errors" if result.status == "error" else "done"] += 1
                if on_done:
                    on_done(result)

            await asyncio.gather(*(one(s) for s in pending))

    asyncio.run(run_all())
    metrics = compute_metrics(samples, read_results(results_path), info, categories)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return BfclSummary(
        out=out, selected=len(samples), skipped=len(samples) - len(pending), done=counts["done"], errors=counts["errors"], metrics=metrics
    )


# -- metrics -------------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def compute_metrics(samples: list[BfclSample], results: dict[str, SampleResult], info: dict[str, Any], categories: list[Category]) -> dict[str, Any]:
    """Accuracy per category (a sample without a result counts as wrong), overall, refusals, timing."""
    per: dict[str, dict[str, Any]] = {}
    for category in categories:
        rows = [results.get(s.id) for s in samples if s.category == category.name]
        got = [r for r in rows if r is not None]
        times = [r.elapsed_s for r in got]
        correct = sum(r.valid for r in got)
        per[category.name] = {
            "kind": category.kind,
            "samples": len(rows),
            "correct": correct,
            "accuracy": _rate(correct, len(rows)),
            "refused": sum(r.refused for r in got),
            "unparsed": sum(r.status == "unparsed" for r in got),
            "errors": sum(r.status == "error" for r in got),
            "missing": len(rows) - len(got),
            "mean_s": round(statistics.fmean(times), 3) if times else None,
            "error_types": dict(sorted(_count(r.error_type for r in got if not r.valid and r.error_type).items())),
        }
    total = sum(c["samples"] for c in per.values())
    correct = sum(c["correct"] for c in per.values())
    accuracies = [c["accuracy"] for c in per.values() if c["accuracy"] is not None]
    irrelevant = [c for c in per.values() if c["kind"] == "irrelevance"]
    needs_call = [c for c in per.values() if c["kind"] != "irrelevance"]
    return {
        "run": info,
        "categories": per,
        "overall": {
            "samples": total,
            "correct": correct,
            "accuracy": _rate(correct, total),
            "mean_category_accuracy": round(statistics.fmean(accuracies), 4) if accuracies else None,
        },
        "irrelevance": {
            "samples": sum(c["samples"] for c in irrelevant),
            "no_call": sum(c["correct"] for c in irrelevant),  # BFCL's rule: refusals and undecodable answers
            "refused": sum(c["refused"] for c in irrelevant),  # explicit {"function": "none"}
            "accuracy": _rate(sum(c["correct"] for c in irrelevant), sum(c["samples"] for c in irrelevant)),
        },
        "false_refusals": {"samples": sum(c["samples"] for c in needs_call), "refused": sum(c["refused"] for c in needs_call)},
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def format_table(metrics: dict[str, Any]) -> str:
    """The per-category table (Markdown) and the irrelevance line."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}"

    lines = [
        "| category | samples | correct | accuracy % | refused | unparsed | errors | s/sample |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, c in metrics["categories"].items():
        mean = "n/a" if c["mean_s"] is None else f"{c['mean_s']:.1f}"
        lines.append(f"| {name} | {c['samples']} | {c['correct']} | {pct(c['accuracy'])} | {c['refused']} | {c['unparsed']} | {c['errors']} | {mean} |")
    o = metrics["overall"]
    lines.append(f"| overall | {o['samples']} | {o['correct']} | {pct(o['accuracy'])} | | | | |")
    lines.append("")
    irr, fr = metrics["irrelevance"], metrics["false_refusals"]
    if irr["samples"]:
        lines.append(
            f"irrelevance detection: {irr['no_call']}/{irr['samples']} ({pct(irr['accuracy'])}%) made no call when no function fits "
            f"({irr['refused']} explicit refusals)"
        )
    if fr["samples"]:
        lines.append(f"false refusals: {fr['refused']}/{fr['samples']} samples that need a call were refused")
    lines.append(f"mean of category accuracies: {pct(o['mean_category_accuracy'])}%")
    return "\n".join(lines)


__all__ = ["BfclCaller", "BfclSummary", "SampleResult", "compute_metrics", "evaluate_sample", "format_table", "read_results", "run_bfcl"]
