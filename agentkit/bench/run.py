"""The TaskBench runner: plan every sample of a domain with a system, write predictions, score.

A run folder (``--out``) holds::

    predictions.jsonl   {"id", "result": {task_steps, task_nodes, task_links}} per finished sample,
                        appended and flushed as each one finishes (TaskBench's prediction format)
    errors.jsonl        {"id", "error_type", "error"} per failed sample (never fatal)
    samples.jsonl       {"id", "status", "elapsed_s", tokens...}: the time and usage of every attempt
    run.json            what was run (system, model, data, options); a resume must match it
    data.jsonl          the gold lines of the selected samples, byte for byte, and
    tool_desc.json      a copy of the domain's tool list: ``agentkit bench score --data OUT`` re-scores
    metrics.json        official and strict scores, coverage, time per sample
    report.md           the tables, plots (PNG, when matplotlib is installed), errors

A run that is interrupted or crashes continues where it stopped: ids already in
``predictions.jsonl`` are skipped. Failed ids are tried again on a resume.

Samples run in this process (``backend="local"``) or on the workers of a Ray cluster
(``backend="ray"``, :mod:`agentkit.bench.ray_backend`); either way this driver writes the records
above, so a run started on one backend resumes on the other.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from agentkit.bench.taskbench_data import Dependency, gold_file, load_gold, load_predictions, load_user_requests
from agentkit.bench.taskbench_score import score_predictions
from agentkit.errors import ConfigError
from agentkit.models import ChatModel, Usage

SystemName = Literal["agentkit", "reference", "nearest"]
SYSTEMS: tuple[str, ...] = ("agentkit", "reference", "nearest")
TYPES: tuple[str, ...] = ("single", "chain", "dag")
BACKENDS: tuple[str, ...] = ("local", "ray")  # where samples run: this process, or a Ray cluster
RUN_KEYS = ("system", "model", "data", "options")  # what a resume must agree with


class System(Protocol):
    name: str
    dependency: Dependency

    @property
    def excluded_ids(self) -> set[str]: ...

    async def predict(self, request: str, *, sample_id: str | None = None) -> tuple[dict[str, Any], Usage]:
        """Plan one request; ``sample_id`` is the sample's id (what an example bank must never show it)."""
        ...


@dataclass
class Sample:
    id: str
    request: str
    type: str
    n_nodes: int
    line: str  # the gold line, verbatim


class AgentkitSystem:
    """agentkit's planner: retrieve the top-k tools, then the constrained two-phase planner
    (steps, then one schema-constrained node per step, validated, one repair round). Plan only.

    With ``examples`` (a TaskBench data file or bank JSONL) the planner is shown the ``k`` nearest
    solved requests; the sample itself (by id and by identical request) is never among them."""

    name = "agentkit"

    def __init__(
        self,
        data_dir: str | Path,
        model: ChatModel,
        *,
        retriever: str | None = "hybrid",
        top_k: int = 8,
        strategy: str = "one-shot",
        examples: str | Path | None = None,
        k: int = 3,
    ):
        from agentkit.agent import Agent
        from agentkit.loaders import load_taskbench_tools
        from agentkit.planners import get_planner

        folder = gold_file(data_dir).parent
        loaded = load_taskbench_tools(folder)
        self.dependency: Dependency = "temporal" if loaded.dependency == "temporal" else "resource"
        planner: Any = strategy
        if examples is not None:
            from agentkit.examples import ExampleBank

            bank = ExampleBank.load(examples, registry=loaded.registry)
            planner = get_planner(strategy, examples=bank, k=k)
        self.agent = Agent(loaded.registry, model=model, retriever=retriever, top_k=top_k, strategy=planner, links=loaded.links)

    @property
    def excluded_ids(self) -> set[str]:
        return set()

    async def predict(self, request: str, *, sample_id: str | None = None) -> tuple[dict[str, Any], Usage]:
        from agentkit import events as ev
        from agentkit.telemetry import recording

        agent = self.agent
        with recording(f"bench:{sample_id or 'sample'}", request) as traced:  # spans when tracing is on (OTEL_*)
            retrieved = await asyncio.to_thread(agent.retrieve, request)
            traced(ev.Retrieved(tools=retrieved))
            tools = [agent.registry.get(r.name) for r in retrieved]
            exclude = {"exclude": [sample_id] if sample_id else []} if getattr(agent.strategy, "examples", None) is not None else {}
            outcome = await agent.strategy.plan(
                request, tools, model=agent.models["planner"], registry=agent.registry, graph=agent.graph, **exclude
            )
            traced(ev.Planned(plan=outcome.plan, attempts=outcome.attempts))
            traced(ev.ModelCalled(role="planner", model=agent.models["planner"].name, usage=outcome.usage))
        return outcome.plan.to_taskbench(self.dependency), outcome.usage


def make_system(
    name: str,
    data_dir: str | Path,
    model: ChatModel,
    *,
    retriever: str | None = "hybrid",
    top_k: int = 8,
    strategy: str = "one-shot",
    demos: int = 0,
    reformat: bool = False,
    max_tokens: int = 2000,
    examples: str | Path | None = None,
    k: int = 3,
) -> System:
    if name == "agentkit":
        return AgentkitSystem(data_dir, model, retriever=retriever, top_k=top_k, strategy=strategy, examples=examples, k=k)
    if name == "nearest":
        from agentkit.bench.nearest import NearestSystem

        return NearestSystem(data_dir, examples=examples)
    if name == "reference":
        from agentkit.bench.reference import ReferenceSystem

        return ReferenceSystem(data_dir, model, demos=demos, reformat=reformat, max_tokens=max_tokens)
    raise ConfigError(f"unknown system {name!r} (expected {' or '.join(SYSTEMS)})")


def load_samples(data_dir: str | Path, *, type: str | None = None, limit: int | None = None, exclude: set[str] = frozenset()) -> list[Sample]:
    """The samples to run, in gold-file order: request = ``user_request`` when the domain has
    ``user_requests.jsonl`` (what upstream sends), else the gold ``instruction``."""
    path = gold_file(data_dir)
    if type is not None and type not in TYPES:
        raise ConfigError(f"unknown --type {type!r} (expected {', '.join(TYPES)})")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    golds = load_gold(path)
    requests_path = path.parent / "user_requests.jsonl"
    requests = load_user_requests(requests_path) if requests_path.is_file() else {}
    lines: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            lines[str(json.loads(line).get("id"))] = line
    samples = []
    for gold in golds:
        if gold.id in exclude or (type is not None and gold.type != type):
            continue
        request = requests.get(gold.id) or gold.instruction
        if not request:
            raise ConfigError(f"{path}: sample {gold.id} has no user_request and no instruction")
        samples.append(Sample(id=gold.id, request=request, type=gold.type, n_nodes=gold.n_nodes, line=lines[gold.id]))
    if not samples:
        raise ConfigError(f"{path}: no samples" + (f" of type {type!r}" if type else ""))
    return samples[:limit] if limit else samples


@dataclass
class RunSummary:
    out: Path
    selected: int
    skipped: int  # already predicted before this invocation
    done: int  # predicted in this invocation
    failed: int  # failed in this invocation
    metrics: dict[str, Any] = field(default_factory=dict)


class _Writer:
    """Appends JSON lines and flushes each one, so a crash loses at most the line being written."""

    def __init__(self, path: Path):
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            with path.open("ab") as fh:  # a line cut by a crash: keep it on its own line
                fh.write(b"\n")
        self.fh = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _raw_output(exc: BaseException) -> dict[str, Any]:
    """What the model said, when the error carries it (unparseable answer, invalid plan), capped."""
    raw = getattr(exc, "raw", None)
    partial = getattr(exc, "partial", None)
    if not raw and partial is not None and getattr(partial, "raw", None):
        raw = "\n---\n".join(partial.raw)
    return {"raw": raw[:_RAW_CHARS]} if isinstance(raw, str) and raw else {}


_RAW_CHARS = 4000


def _check_resume(out: Path, info: dict[str, Any]) -> None:
    path = out / "run.json"
    if path.is_file():
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise ConfigError(f"{path}: not valid JSON; remove it or use another --out") from None
        for key in RUN_KEYS:
            if before.get(key) != info.get(key):
                raise ConfigError(
                    f"{out} holds a run with {key}={before.get(key)!r}, not {info.get(key)!r}: use another --out to start a new run"
                )


def done_ids(predictions: Path) -> set[str]:
    if not predictions.is_file():
        return set()
    return {pid for pid, record in load_predictions(predictions).records.items() if record.result is not None}


@dataclass
class Outcome:
    """What predicting one sample gave, as plain data (it crosses process boundaries on the Ray backend)."""

    id: str
    elapsed_s: float
    result: dict[str, Any] | None = None  # None: the sample failed
    usage: Usage | None = None
    error_type: str = ""
    error: str = ""
    raw: str | None = None  # what the model said, when a failure carries it


async def predict_one(system: System, sample_id: str, request: str) -> Outcome:
    """Predict one sample; any failure becomes an error outcome, never an exception (one sample never ends a run)."""
    started = time.perf_counter()
    try:
        result, usage = await system.predict(request, sample_id=sample_id)
    except Exception as exc:  # noqa: BLE001 - recorded per sample
        elapsed = time.perf_counter() - started
        return Outcome(sample_id, elapsed, error_type=type(exc).__name__, error=str(exc), raw=_raw_output(exc).get("raw"))
    return Outcome(sample_id, time.perf_counter() - started, result=result, usage=usage)


Predictor = Callable[[list[Sample]], AsyncIterator[Outcome]]
"""Runs the pending samples somewhere (this process, a Ray cluster) and yields each outcome as it arrives."""


def local_predictor(system: System, concurrency: int = 1) -> Predictor:
    """Up to ``concurrency`` samples in flight at once on one system in this process."""

    async def outcomes(samples: list[Sample]) -> AsyncIterator[Outcome]:
        gate = asyncio.Semaphore(concurrency)

        async def one(sample: Sample) -> Outcome:
            async with gate:
                return await predict_one(system, sample.id, sample.request)

        tasks = [asyncio.ensure_future(one(s)) for s in samples]  # created in order: the gate admits them in order
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()

    return outcomes


async def record_samples(
    predictor: Predictor,
    samples: list[Sample],
    out: Path,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Sample, bool], None] | None = None,
) -> tuple[int, int, int]:
    """The driver's part of every backend: skip the ids already in ``out/predictions.jsonl``, then write each
    outcome the moment it arrives (so an interrupted run resumes); returns (skipped, done, failed)."""
    finished = done_ids(out / "predictions.jsonl")
    pending = [s for s in samples if s.id not in finished]
    by_id = {s.id: s for s in pending}
    if on_start:
        on_start(len(samples) - len(pending))
    predictions, errors, log = (_Writer(out / name) for name in ("predictions.jsonl", "errors.jsonl", "samples.jsonl"))
    counts = {"done": 0, "failed": 0}
    try:
        async for outcome in predictor(pending):
            elapsed = round(outcome.elapsed_s, 3)
            if outcome.result is None:
                raw = {"raw": outcome.raw} if outcome.raw else {}
                errors.write({"id": outcome.id, "error_type": outcome.error_type, "error": outcome.error, **raw})
                log.write({"id": outcome.id, "status": "error", "elapsed_s": elapsed})
                counts["failed"] += 1
            else:
                usage = outcome.usage or Usage()
                predictions.write({"id": outcome.id, "result": outcome.result})
                log.write({
                    "id": outcome.id, "status": "ok", "elapsed_s": elapsed, "model_calls": usage.calls,
                    "prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                })  # fmt: skip
                counts["done"] += 1
            if on_done:
                on_done(by_id[outcome.id], outcome.result is not None)
    finally:
        for writer in (predictions, errors, log):
            writer.close()
    return len(samples) - len(pending), counts["done"], counts["failed"]


async def run_samples(
    system: System,
    samples: list[Sample],
    out: Path,
    *,
    concurrency: int = 1,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Sample, bool], None] | None = None,
) -> tuple[int, int, int]:
    """Predict every sample not yet in ``out/predictions.jsonl`` in this process; returns (skipped, done, failed)."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    return await record_samples(local_predictor(system, concurrency), samples, out, on_start=on_start, on_done=on_done)


def timing(out: Path, ids: set[str]) -> dict[str, Any]:
    """Time per sample over every attempt logged for ``ids`` (across resumes); the last attempt per id wins."""
    last: dict[str, dict[str, Any]] = {}
    path = out / "samples.jsonl"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("id") in ids:
                last[record["id"]] = record
    times = [r["elapsed_s"] for r in last.values() if isinstance(r.get("elapsed_s"), (int, float))]
    ok = [r for r in last.values() if r.get("status") == "ok"]
    return {
        "attempted": len(last),
        "ok": len(ok),
        "errors": len(last) - len(ok),
        "mean_s_per_sample": statistics.fmean(times) if times else None,
        "median_s_per_sample": statistics.median(times) if times else None,
        "total_s": sum(times),
        "mean_completion_tokens": statistics.fmean(r.get("completion_tokens", 0) for r in ok) if ok else None,
    }


def last_errors(out: Path, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The latest recorded error of each id in ``ids`` that still has no prediction."""
    path = out / "errors.jsonl"
    predicted = done_ids(out / "predictions.jsonl")
    found: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("id") in ids and record["id"] not in predicted:
                found[record["id"]] = record
    return found


def finish(out: Path, data_dir: Path, samples: list[Sample], info: dict[str, Any]) -> dict[str, Any]:
    """Score the run (official and strict, over the selected samples only), write metrics.json and report.md."""
    from agentkit.bench.report import write_report

    score_dir = out
    (score_dir / "data.jsonl").write_text("".join(s.line + "\n" for s in samples), encoding="utf-8")
    shutil.copyfile(gold_file(data_dir).parent / "tool_desc.json", score_dir / "tool_desc.json")
    predictions = out / "predictions.jsonl"
    if not predictions.exists():
        predictions.touch()
    ids = {s.id for s in samples}
    official = score_predictions(score_dir, predictions, mode="official")
    strict = score_predictions(score_dir, predictions, mode="strict")
    metrics = {
        "run": info,
        "samples": len(samples),
        "timing": timing(out, ids),
        "errors": {i: {"error_type": e.get("error_type"), "error": e.get("error")} for i, e in last_errors(out, ids).items()},
        "official": official.model_dump(mode="json"),
        "strict": strict.model_dump(mode="json"),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_report(out, metrics, samples)
    return metrics


__all__ = [
    "BACKENDS",
    "SYSTEMS",
    "TYPES",
    "AgentkitSystem",
    "Outcome",
    "Predictor",
    "RunSummary",
    "Sample",
    "System",
    "done_ids",
    "finish",
    "load_samples",
    "local_predictor",
    "make_system",
    "predict_one",
    "record_samples",
    "run_samples",
    "run_taskbench",
]


def run_taskbench(
    data_dir: str | Path,
    model: str | ChatModel,
    *,
    system: str = "agentkit",
    out: str | Path,
    limit: int | None = None,
    type: str | None = None,
    concurrency: int = 1,
    retriever: str | None = "hybrid",
    top_k: int = 8,
    strategy: str = "one-shot",
    demos: int = 0,
    reformat: bool = False,
    max_tokens: int = 2000,
    backend: str = "local",
    address: str | None = None,
    examples: str | Path | None = None,
    k: int = 3,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[Sample, bool], None] | None = None,
) -> RunSummary:
    """Plan the selected samples of a TaskBench domain folder with ``system``, then score them.

    ``backend="ray"`` runs ``concurrency`` workers on the Ray cluster at ``address`` (default: a local
    instance started for this run); see :mod:`agentkit.bench.ray_backend`.
    ``examples`` is a bank file (TaskBench ``data.json(l)`` or bank JSONL) shown to the agentkit
    planner (``k`` nearest) or copied by the ``nearest`` system (default: the domain's own data file);
    a sample never sees itself. ``on_start(total, already_done)`` and ``on_done(sample, ok)`` drive a
    progress display.
    """
    from agentkit.models import load_model, parse_model_spec

    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise ConfigError(f"{data_dir}: no such folder")
    gold_file(data_dir)  # a clear error before anything slow
    if system not in SYSTEMS:
        raise ConfigError(f"unknown --system {system!r} (expected {' or '.join(SYSTEMS)})")
    if retriever not in (None, "bm25", "dense", "hybrid"):
        raise ConfigError(f"unknown --retriever {retriever!r} (expected hybrid, bm25, dense or none)")
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    if backend not in BACKENDS:
        raise ConfigError(f"unknown --backend {backend!r} (expected {' or '.join(BACKENDS)})")
    if address is not None and backend != "ray":
        raise ConfigError("--address needs --backend ray")
    if backend == "ray":
        from agentkit.bench.ray_backend import require_ray

        require_ray()  # the missing extra is named before anything is written
    load_samples(data_dir, type=type, limit=limit)  # validates --type / --limit early
    if isinstance(model, str) and system != "nearest":
        parse_model_spec(model)
    model_name = "none" if system == "nearest" else model if isinstance(model, str) else getattr(model, "name", type_name(model))
    if k < 1:
        raise ConfigError(f"--k must be at least 1, got {k}")
    if examples is not None:
        examples = Path(examples).resolve()
        if not examples.exists():
            raise ConfigError(f"{examples}: no such example file (--examples)")
    elif system == "nearest":
        examples = gold_file(data_dir).resolve()
    bank = {"examples": None if examples is None else str(examples), "k": k if examples is not None else None}
    options: dict[str, Any] = (
        {"retriever": retriever, "top_k": top_k, "strategy": strategy, **bank}
        if system == "agentkit"
        else {"examples": bank["examples"]} if system == "nearest"
        else {"demos": demos, "reformat": reformat, "max_tokens": max_tokens}
    )  # fmt: skip
    info = {"system": system, "model": model_name, "data": str(data_dir.resolve()), "options": options, "type": type, "limit": limit}
    out = Path(out)
    _check_resume(out, info)
    system_options: dict[str, Any] = {
        "retriever": retriever, "top_k": top_k, "strategy": strategy, "demos": demos, "reformat": reformat, "max_tokens": max_tokens,
        "examples": None if examples is None else str(examples), "k": k,
    }  # fmt: skip

    def run(predictor: Predictor, excluded: set[str]) -> tuple[list[Sample], tuple[int, int, int]]:
        out.mkdir(parents=True, exist_ok=True)
        (out / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        samples = load_samples(data_dir, type=type, limit=limit, exclude=excluded)

        def started(already: int) -> None:
            if on_start:
                on_start(len(samples), already)

        return samples, asyncio.run(record_samples(predictor, samples, out, on_start=started, on_done=on_done))

    if backend == "ray":
        from agentkit.bench.ray_backend import RayWorkers, ray_session

        with ray_session(address, num_cpus=concurrency) as ray:
            workers = RayWorkers(ray, system, data_dir, model, system_options, concurrency)
            samples, (skipped, done, failed) = run(workers.outcomes, workers.excluded_ids())
    else:
        runner = make_system(system, data_dir, None if system == "nearest" else load_model(model), **system_options)  # type: ignore[arg-type]
        samples, (skipped, done, failed) = run(local_predictor(runner, concurrency), runner.excluded_ids)
    metrics = finish(out, data_dir, samples, info)
    return RunSummary(out=out, selected=len(samples), skipped=skipped, done=done, failed=failed, metrics=metrics)


def type_name(value: Any) -> str:
    return type(value).__name__
