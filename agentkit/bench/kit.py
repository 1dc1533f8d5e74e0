"""The benchmark kit: what every evaluation shares, so a benchmark only says what is its own.

A benchmark supplies samples (anything picklable with an ``id``), a :class:`Predictor` (how
one sample is answered, never raising: a failure is an :class:`Outcome` with an error) and a
factory that builds that predictor from plain data (so a Ray worker can build its own). The
kit supplies:

- :class:`RunFolder`: ``run.json`` (what was run; a resume must agree with it), JSON-lines
  files appended and flushed line by line, a line cut by a crash repaired on the next open,
  and reading them back skipping such lines;
- backends that answer the pending samples and yield each outcome as it arrives:
  :func:`local_backend` (this process, up to ``concurrency`` at once) and
  :class:`agentkit.bench.ray_backend.RayWorkers` (a Ray cluster), interchangeable;
- :func:`timing`: time per sample over every attempt, across resumes.

TaskBench (:mod:`agentkit.bench.run`) and BFCL (:mod:`agentkit.bench.bfcl`) are built on it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from agentkit.errors import ConfigError
from agentkit.models import Usage

S = TypeVar("S", contravariant=True)
T = TypeVar("T")


@dataclass
class Outcome:
    """What answering one sample gave, as plain data (it crosses process boundaries on the Ray backend)."""

    id: str
    elapsed_s: float
    result: Any = None  # the benchmark's record of a success; None: the sample failed
    usage: Usage | None = None
    error_type: str = ""
    error: str = ""
    raw: str | None = None  # what the model said, when a failure carries it


class Predictor(Protocol[S]):
    """Answers one sample; failures come back as outcomes, so one sample never ends a run."""

    async def predict(self, sample: S) -> Outcome: ...


Backend = Callable[[Sequence[Any]], AsyncIterator[Outcome]]
"""Answers the pending samples somewhere (this process, a Ray cluster), yielding each outcome as it arrives."""


def failure(sample_id: str, started: float, exc: BaseException) -> Outcome:
    """An exception as the outcome of a sample (with the model's raw text when the error carries it)."""
    raw = getattr(exc, "raw", None)
    partial = getattr(exc, "partial", None)
    if not raw and partial is not None and getattr(partial, "raw", None):
        raw = "\n---\n".join(partial.raw)
    return Outcome(
        sample_id, time.perf_counter() - started, error_type=type(exc).__name__, error=str(exc),
        raw=raw[:RAW_CHARS] if isinstance(raw, str) and raw else None,
    )  # fmt: skip


RAW_CHARS = 4000


def local_backend(predictor: Predictor[Any], concurrency: int = 1) -> Backend:
    """Up to ``concurrency`` samples in flight at once on one predictor in this process, started in order."""
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")

    async def outcomes(samples: Sequence[Any]) -> AsyncIterator[Outcome]:
        gate = asyncio.Semaphore(concurrency)

        async def one(sample: Any) -> Outcome:
            async with gate:
                return await predictor.predict(sample)

        tasks = [asyncio.ensure_future(one(s)) for s in samples]  # created in order: the gate admits them in order
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()

    return outcomes


class JsonlWriter:
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


class RunFolder:
    """One run's folder: ``run.json`` and the JSON-lines files of the samples' records."""

    def __init__(self, path: str | Path, info: dict[str, Any], resume_keys: Iterable[str]):
        self.path = Path(path)
        self.info = info
        self.resume_keys = tuple(resume_keys)

    def check_resume(self) -> None:
        """A folder holding another run (different ``resume_keys`` in run.json) is a ConfigError, before anything is written."""
        path = self.path / "run.json"
        if not path.is_file():
            return
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            raise ConfigError(f"{path}: not valid JSON; remove it or use another --out") from None
        for key in self.resume_keys:
            if before.get(key) != self.info.get(key):
                raise ConfigError(
                    f"{self.path} holds a run with {key}={before.get(key)!r}, not {self.info.get(key)!r}: "
                    "use another --out to start a new run"
                )

    def start(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "run.json").write_text(json.dumps(self.info, indent=2) + "\n", encoding="utf-8")

    def writer(self, name: str) -> JsonlWriter:
        return JsonlWriter(self.path / name)

    def read(self, name: str) -> list[dict[str, Any]]:
        """The records of ``name`` in order; a line cut by a crash (or anything not a JSON object) is skipped."""
        path = self.path / name
        records = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
        return records

    def write_json(self, name: str, data: Any) -> None:
        (self.path / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def timing(folder: RunFolder, ids: set[str], log: str = "samples.jsonl") -> dict[str, Any]:
    """Time per sample over every attempt logged for ``ids`` (across resumes); the last attempt per id wins."""
    last = {r["id"]: r for r in folder.read(log) if r.get("id") in ids}
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


def log_record(outcome: Outcome) -> dict[str, Any]:
    """The ``samples.jsonl`` line of an outcome: status, time and token usage."""
    record: dict[str, Any] = {"id": outcome.id, "status": "ok" if outcome.result is not None else "error", "elapsed_s": round(outcome.elapsed_s, 3)}
    if outcome.result is not None:
        usage = outcome.usage or Usage()
        record.update(model_calls=usage.calls, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
    return record


class Benchmark(Protocol[T]):
    """An evaluation, as the kit runs it (:func:`run_benchmark`): samples, answering one, recording it, scoring.

    Samples are anything with an ``id``. ``predictor()`` answers in this process;
    ``predictor_factory()`` is the same as a picklable callable (a module-level function or a
    ``functools.partial`` of one over plain data) that each Ray worker calls once, and
    ``to_wire(sample)`` is what of a sample travels to a worker.
    """

    def load_samples(self, exclude: AbstractSet[str]) -> list[T]: ...

    def done_ids(self, folder: RunFolder) -> set[str]:
        """Samples already recorded (a resume skips them)."""
        ...

    def predictor(self) -> Predictor[Any]: ...

    def predictor_factory(self) -> Callable[[], Predictor[Any]]: ...

    def to_wire(self, sample: T) -> Any: ...

    def record(self, sample: T, outcome: Outcome, files: Files) -> bool:
        """Write what the outcome means for this benchmark; True when the sample counts as done."""
        ...

    def score(self, samples: list[T], folder: RunFolder) -> dict[str, Any]:
        """The metrics of the run (also written to the folder as the benchmark likes)."""
        ...


class Files:
    """The run folder's JSON-lines writers, opened on first use and closed together."""

    def __init__(self, folder: RunFolder):
        self.folder = folder
        self._open: dict[str, JsonlWriter] = {}

    def write(self, name: str, record: dict[str, Any]) -> None:
        if name not in self._open:
            self._open[name] = self.folder.writer(name)
        self._open[name].write(record)

    def close(self) -> None:
        for writer in self._open.values():
            writer.close()


@dataclass
class RunStats:
    selected: int
    skipped: int  # recorded before this invocation
    done: int  # recorded as done in this invocation
    failed: int  # failed in this invocation
    samples: list[Any] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


async def drive(
    record: Callable[[Any, Outcome, Files], bool], outcomes: Backend, pending: list[Any], folder: RunFolder,
    on_done: Callable[[Any, bool], None] | None = None,
) -> tuple[int, int]:  # fmt: skip
    """Record each outcome the moment it arrives (``record(sample, outcome, files)``: True when done), so an
    interrupted run resumes; returns (done, failed)."""
    by_id = {s.id: s for s in pending}
    files = Files(folder)
    counts = [0, 0]
    try:
        async for outcome in outcomes(pending):
            ok = record(by_id[outcome.id], outcome, files)
            counts[0 if ok else 1] += 1
            if on_done:
                on_done(by_id[outcome.id], ok)
    finally:
        files.close()
    return counts[0], counts[1]


__all__ = [
    "RAW_CHARS", "Backend", "Benchmark", "Files", "JsonlWriter", "Outcome", "Predictor", "RunFolder", "RunStats", "drive",
    "failure", "local_backend", "log_record", "timing",
]  # fmt: skip
