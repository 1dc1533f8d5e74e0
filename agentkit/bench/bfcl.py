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

import functools
import statistics
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from agentkit.bench.bfcl_checker import score
from agentkit.bench.kit import Files, Outcome, RunFolder, failure
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


class BfclPredictor:
    """The kit's predictor for BFCL: answers a sample (its question and functions), scored later by the driver."""

    def __init__(self, caller: BfclCaller):
        self.caller = caller

    async def predict(self, sample: BfclSample) -> Outcome:
        started = time.perf_counter()
        try:
            answer = await self.caller.answer(sample)
        except StructuredOutputError as exc:  # BFCL's "could not decode": no call (right for irrelevance)
            return Outcome(sample.id, time.perf_counter() - started, error_type="StructuredOutputError", error=str(exc), raw=exc.raw or None)
        except Exception as exc:  # noqa: BLE001 - one failing sample never ends the run
            return failure(sample.id, started, exc)
        return Outcome(sample.id, time.perf_counter() - started, result={"calls": answer.calls, "raw": answer.raw}, usage=answer.usage)


def build_predictor(model: str | ChatModel, banks: dict[str, Any] | None = None, k: int = 3) -> BfclPredictor:
    """The predictor over ``model`` (a spec each Ray worker loads itself, or a model object), with the
    per-category example banks of ``--examples`` (other samples as demonstrations, ``k`` shown)."""
    from agentkit.models import load_model

    return BfclPredictor(BfclCaller(load_model(model), banks=banks, k=k))


def without_answers(sample: BfclSample) -> BfclSample:
    """What a Ray worker receives: the question and functions, not the possible answers."""
    return sample.model_copy(update={"ground_truth": None})


def to_result(sample: BfclSample, outcome: Outcome) -> SampleResult:
    """An outcome scored by BFCL's checker, as one line of results.jsonl."""
    category = CATEGORIES[sample.category]
    base = {"id": sample.id, "category": sample.category, "elapsed_s": round(outcome.elapsed_s, 3)}
    if outcome.result is None and outcome.error_type == "StructuredOutputError":
        verdict = score(category, sample.functions, None, sample.ground_truth)
        return SampleResult(
            **base, status="unparsed", predicted=None, valid=verdict.valid, error=outcome.error[:RAW_CHARS],
            error_type="StructuredOutputError", raw=(outcome.raw or "")[:RAW_CHARS] or None,
        )  # fmt: skip
    if outcome.result is None:
        return SampleResult(**base, status="error", predicted=None, valid=False, error=outcome.error[:RAW_CHARS], error_type=outcome.error_type)
    calls = outcome.result["calls"]  # already BFCL's format (BfclCaller.answer)
    verdict = score(category, sample.functions, calls, sample.ground_truth)
    usage = outcome.usage or Usage()
    return SampleResult(
        **base, status="ok", predicted=calls, valid=verdict.valid, refused=not calls, error=verdict.error,
        error_type=verdict.error_type, raw=outcome.result["raw"][:RAW_CHARS],
        prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
    )  # fmt: skip


async def evaluate_sample(caller: BfclCaller, sample: BfclSample) -> SampleResult:
    """Answer and score one sample; any failure is recorded in the result, never raised."""
    return to_result(sample, await BfclPredictor(caller).predict(sample))


# -- run folder ----------------------------------------------------------------------------


def read_results(path: Path) -> dict[str, SampleResult]:
    """The last recorded result per id (a line cut by a crash is ignored)."""
    found: dict[str, SampleResult] = {}
    for record in RunFolder(path.parent, {}, ()).read(path.name):
        try:
            found[record["id"]] = SampleResult.model_validate(record)
        except (ValueError, KeyError):
            continue
    return found


class BfclSummary(BaseModel):
    out: Path
    selected: int
    skipped: int
    done: int
    errors: int  # model calls that failed in this invocation
    metrics: dict[str, Any]


class Bfcl:
    """BFCL as a benchmark of the kit: answer each sample (locally or on Ray workers), score it here, append results.jsonl."""

    what = "BFCL caller"

    def __init__(self, samples: list[BfclSample], model: str | ChatModel, categories: list[Category], options: dict[str, Any]):
        self.samples, self.model, self.categories, self.options = samples, model, categories, options
        self.reported: list[SampleResult] = []  # the results recorded in this invocation, in order

    def load_samples(self, exclude: AbstractSet[str]) -> list[BfclSample]:
        return [s for s in self.samples if s.id not in exclude]

    def done_ids(self, folder: RunFolder) -> set[str]:
        """Samples with a recorded answer; those whose model call failed are tried again."""
        return {i for i, r in read_results(folder.path / "results.jsonl").items() if r.status != "error"}

    def predictor(self) -> BfclPredictor:
        return build_predictor(self.model, **self.options)

    def predictor_factory(self) -> Callable[[], BfclPredictor]:
        from agentkit.bench.ray_backend import model_source

        return functools.partial(build_predictor, model_source(self.model), **self.options)

    def to_wire(self, sample: BfclSample) -> BfclSample:
        return without_answers(sample)

    def record(self, sample: BfclSample, outcome: Outcome, files: Files) -> bool:
        result = to_result(sample, outcome)
        files.write("results.jsonl", result.model_dump(mode="json"))
        self.reported.append(result)
        return result.status != "error"

    def score(self, samples: list[BfclSample], folder: RunFolder) -> dict[str, Any]:
        metrics = compute_metrics(samples, read_results(folder.path / "results.jsonl"), folder.info, self.categories)
        folder.write_json("metrics.json", metrics)
        return metrics


def run_bfcl(
    model: str | ChatModel,
    *,
    categories: list[Category],
    out: Path,
    data_dir: Path | None = None,
    limit: int | None = None,
    concurrency: int = 1,
    examples: int | None = None,
    backend: str = "local",
    address: str | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[SampleResult], None] | None = None,
) -> BfclSummary:
    """Answer the first ``limit`` samples of each category, append results, write metrics.json.

    ``examples=k`` shows the caller the ``k`` nearest other samples of the same category (with
    their possible answers) instead of the fixed examples; the sample itself never.
    ``backend="ray"`` answers on ``concurrency`` Ray workers (the cluster at ``address``, default a
    local instance); the answers are scored here, so the possible answers never leave this process.
    """
    from agentkit.bench.bfcl_checker import load_checker
    from agentkit.bench.runner import run_benchmark

    samples, folder, banks = _prepare(model, categories, out, data_dir, limit, concurrency, examples, backend, address)
    load_checker()  # a clear error before anything slow
    benchmark = Bfcl(samples, model, categories, {"banks": banks, "k": examples or 3})

    def done(sample: BfclSample, ok: bool) -> None:
        if on_done:
            on_done(benchmark.reported[-1])

    stats = run_benchmark(benchmark, folder, backend=backend, concurrency=concurrency, address=address, on_start=on_start, on_done=done)
    return BfclSummary(out=out, selected=stats.selected, skipped=stats.skipped, done=stats.done, errors=stats.failed, metrics=stats.metrics)


def _prepare(
    model: str | ChatModel, categories: list[Category], out: Path, data_dir: Path | None, limit: int | None,
    concurrency: int, examples: int | None, backend: str, address: str | None,
) -> tuple[list[BfclSample], RunFolder, dict[str, Any] | None]:  # fmt: skip
    """The samples and the run folder, every option checked first (one clear ConfigError)."""
    from agentkit.models import parse_model_spec

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    if backend not in ("local", "ray"):
        raise ConfigError(f"unknown --backend {backend!r} (expected local or ray)")
    if address is not None and backend != "ray":
        raise ConfigError("--address needs --backend ray")
    if backend == "ray":
        from agentkit.bench.ray_backend import require_ray

        require_ray()
    if isinstance(model, str):
        parse_model_spec(model)
    if examples is not None and examples < 1:
        raise ConfigError(f"--examples must be at least 1, got {examples}")
    folder_path, source = data_source(data_dir)
    samples = [s for c in categories for s in load_category(folder_path, c, limit=limit, where=source)]
    info: dict[str, Any] = {"model": model if isinstance(model, str) else model.name, "data": source}
    banks = None
    if examples is not None:
        from agentkit.bench.bfcl_examples import category_banks

        info["examples"] = examples
        banks = category_banks(s for c in categories for s in load_category(folder_path, c, where=source))
    folder = RunFolder(out, info, ("model", "data"))
    folder.check_resume()
    return samples, folder, banks


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


__all__ = ["Bfcl", "BfclCaller", "BfclPredictor", "BfclSummary", "SampleResult", "build_predictor", "to_result", "compute_metrics", "evaluate_sample", "format_table", "read_results", "run_bfcl"]
