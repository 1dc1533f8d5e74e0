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
import functools
import json
import shutil
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from agentkit.bench.kit import Backend, Files, Outcome, RunFolder, drive, failure, local_backend, log_record, timing
from agentkit.bench.ray_backend import model_source
from agentkit.bench.runner import BACKENDS, run_benchmark
from agentkit.bench.taskbench_data import Dependency, gold_file, load_gold, load_predictions, load_user_requests
from agentkit.bench.taskbench_score import score_predictions
from agentkit.errors import ConfigError
from agentkit.models import ChatModel, Usage

SystemName = Literal["agentkit", "reference", "nearest"]
SYSTEMS: tuple[str, ...] = ("agentkit", "reference", "nearest")
TYPES: tuple[str, ...] = ("single", "chain", "dag")
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
            exclude: dict[str, Any] = {"exclude": [sample_id] if sample_id else []} if getattr(agent.strategy, "examples", None) is not None else {}
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


def load_samples(data_dir: str | Path, *, type: str | None = None, limit: int | None = None, exclude: AbstractSet[str] = frozenset()) -> list[Sample]:
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


def done_ids(predictions: Path) -> set[str]:
    if not predictions.is_file():
        return set()
    return {pid for pid, record in load_predictions(predictions).records.items() if record.result is not None}


async def predict_one(system: System, sample_id: str, request: str) -> Outcome:
    """Predict one sample; any failure becomes an error outcome, never an exception (one sample never ends a run)."""
    started = time.perf_counter()
    try:
        result, usage = await system.predict(request, sample_id=sample_id)
    except Exception as exc:  # noqa: BLE001 - recorded per sample
        return failure(sample_id, started, exc)
    return Outcome(sample_id, time.perf_counter() - started, result=result, usage=usage)


@dataclass(frozen=True)
class Request:
    """What of a sample a predictor sees (and a Ray worker receives): its id and request, never the gold answer."""

    id: str
    request: str


def to_request(sample: Sample) -> Request:
    return Request(sample.id, sample.request)


class SystemPredictor:
    """A TaskBench system as the kit's predictor."""

    def __init__(self, system: System):
        self.system = system

    @property
    def excluded_ids(self) -> set[str]:
        return self.system.excluded_ids

    async def predict(self, sample: Sample | Request) -> Outcome:
        return await predict_one(self.system, sample.id, sample.request)


def build_predictor(system: str, data_dir: str | Path, model: str | ChatModel | None, options: dict[str, Any]) -> SystemPredictor:
    """The predictor of ``system``, built from plain data (what each Ray worker does)."""
    from agentkit.models import load_model

    chat_model = None if system == "nearest" or model is None else load_model(model)
    return SystemPredictor(make_system(system, data_dir, chat_model, **options))  # type: ignore[arg-type]


def local_predictor(system: System, concurrency: int = 1) -> Backend:
    """Up to ``concurrency`` samples in flight at once on one system in this process."""
    return local_backend(SystemPredictor(system), concurrency)


def record_outcome(sample: Sample, outcome: Outcome, files: Files) -> bool:
    """TaskBench's records: a prediction or an error, and the attempt's time and usage in samples.jsonl."""
    if outcome.result is None:
        raw = {"raw": outcome.raw} if outcome.raw else {}
        files.write("errors.jsonl", {"id": outcome.id, "error_type": outcome.error_type, "error": outcome.error, **raw})
    else:
        files.write("predictions.jsonl", {"id": outcome.id, "result": outcome.result})
    files.write("samples.jsonl", log_record(outcome))
    return outcome.result is not None


async def record_samples(
    predictor: Backend,
    samples: list[Sample],
    out: Path,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Sample, bool], None] | None = None,
) -> tuple[int, int, int]:
    """Skip the ids already in ``out/predictions.jsonl``, then record each outcome the moment it arrives
    (so an interrupted run resumes); returns (skipped, done, failed)."""
    finished = done_ids(out / "predictions.jsonl")
    pending = [s for s in samples if s.id not in finished]
    if on_start:
        on_start(len(samples) - len(pending))
    done, failed = await drive(record_outcome, predictor, pending, RunFolder(out, {}, ()), on_done)
    return len(samples) - len(pending), done, failed


class TaskBench:
    """TaskBench as a benchmark of the kit: plan each sample's request with a system, score officially and strictly."""

    def __init__(self, data_dir: Path, model: str | ChatModel, system: str, options: dict[str, Any], info: dict[str, Any],
                 *, type: str | None = None, limit: int | None = None):  # fmt: skip
        self.data_dir, self.model, self.system, self.options, self.info = data_dir, model, system, options, info
        self.type, self.limit = type, limit
        self.what = f"{system} system"  # what a worker that cannot build it names

    def load_samples(self, exclude: AbstractSet[str]) -> list[Sample]:
        return load_samples(self.data_dir, type=self.type, limit=self.limit, exclude=exclude)

    def done_ids(self, folder: RunFolder) -> set[str]:
        return done_ids(folder.path / "predictions.jsonl")

    def predictor(self) -> SystemPredictor:
        return build_predictor(self.system, self.data_dir, None if self.system == "nearest" else self.model, self.options)

    def predictor_factory(self) -> Callable[[], SystemPredictor]:
        source = None if self.system == "nearest" else model_source(self.model)
        return functools.partial(build_predictor, self.system, str(self.data_dir.resolve()), source, self.options)

    def to_wire(self, sample: Sample) -> Request:
        return to_request(sample)

    def record(self, sample: Sample, outcome: Outcome, files: Files) -> bool:
        return record_outcome(sample, outcome, files)

    def score(self, samples: list[Sample], folder: RunFolder) -> dict[str, Any]:
        return finish(folder.path, self.data_dir, samples, self.info)


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
    return await record_samples(local_predictor(system, concurrency), samples, out, on_start=on_start, on_done=on_done)


def last_errors(out: Path, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The latest recorded error of each id in ``ids`` that still has no prediction."""
    predicted = done_ids(out / "predictions.jsonl")
    folder = RunFolder(out, {}, ())
    return {r["id"]: r for r in folder.read("errors.jsonl") if r.get("id") in ids and r["id"] not in predicted}


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
        "timing": timing(RunFolder(out, info, RUN_KEYS), ids),
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
    "Request",
    "RunSummary",
    "Sample",
    "System",
    "SystemPredictor",
    "TaskBench",
    "build_predictor",
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
    data_dir = Path(data_dir)
    _check_options(data_dir, model, system, retriever, concurrency, backend, address, k, type, limit)
    examples = _examples_file(data_dir, system, examples)
    info = _run_info(data_dir, model, system, type, limit, retriever, top_k, strategy, demos, reformat, max_tokens, examples, k)
    system_options: dict[str, Any] = {
        "retriever": retriever, "top_k": top_k, "strategy": strategy, "demos": demos, "reformat": reformat, "max_tokens": max_tokens,
        "examples": None if examples is None else str(examples), "k": k,
    }  # fmt: skip
    benchmark = TaskBench(data_dir, model, system, system_options, info, type=type, limit=limit)
    stats = run_benchmark(
        benchmark, RunFolder(out, info, RUN_KEYS), backend=backend, concurrency=concurrency, address=address,
        on_start=on_start, on_done=on_done,
    )  # fmt: skip
    return RunSummary(out=Path(out), selected=stats.selected, skipped=stats.skipped, done=stats.done, failed=stats.failed, metrics=stats.metrics)


def _check_options(
    data_dir: Path, model: str | ChatModel, system: str, retriever: str | None, concurrency: int, backend: str,
    address: str | None, k: int, type: str | None, limit: int | None,
) -> None:  # fmt: skip
    """Every option checked before anything slow or written: one clear ConfigError."""
    from agentkit.models import parse_model_spec
    from agentkit.retrieval.registry import RETRIEVERS

    if not data_dir.exists():
        raise ConfigError(f"{data_dir}: no such folder")
    gold_file(data_dir)
    if system not in SYSTEMS:
        raise ConfigError(f"unknown --system {system!r} (expected {' or '.join(SYSTEMS)})")
    if retriever is not None and retriever not in RETRIEVERS:
        raise ConfigError(f"unknown --retriever {retriever!r} (expected {', '.join(RETRIEVERS.names())} or none)")
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
    if k < 1:
        raise ConfigError(f"--k must be at least 1, got {k}")


def _examples_file(data_dir: Path, system: str, examples: str | Path | None) -> Path | None:
    """The example bank to use, resolved (the nearest system copies the domain's own data by default)."""
    if examples is not None:
        path = Path(examples).resolve()
        if not path.exists():
            raise ConfigError(f"{path}: no such example file (--examples)")
        return path
    return gold_file(data_dir).resolve() if system == "nearest" else None


def _run_info(
    data_dir: Path, model: str | ChatModel, system: str, type: str | None, limit: int | None, retriever: str | None,
    top_k: int, strategy: str, demos: int, reformat: bool, max_tokens: int, examples: Path | None, k: int,
) -> dict[str, Any]:  # fmt: skip
    """What was run (run.json): the options that matter for the system, and what a resume must agree with."""
    model_name = "none" if system == "nearest" else model if isinstance(model, str) else getattr(model, "name", type_name(model))
    bank = {"examples": None if examples is None else str(examples), "k": k if examples is not None else None}
    options: dict[str, Any] = (
        {"retriever": retriever, "top_k": top_k, "strategy": strategy, **bank}
        if system == "agentkit"
        else {"examples": bank["examples"]} if system == "nearest"
        else {"demos": demos, "reformat": reformat, "max_tokens": max_tokens}
    )  # fmt: skip
    return {"system": system, "model": model_name, "data": str(data_dir.resolve()), "options": options, "type": type, "limit": limit}


def type_name(value: Any) -> str:
    return type(value).__name__
