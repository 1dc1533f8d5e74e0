"""Running a benchmark of the kit (:class:`agentkit.bench.kit.Benchmark`) on a backend: this process or Ray.

Kept apart from :mod:`agentkit.bench.kit`, which the Ray backend builds on: kit <- ray_backend <- runner,
no cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from agentkit.bench.kit import Backend, Benchmark, RunFolder, RunStats, drive, local_backend
from agentkit.bench.ray_backend import RayWorkers, ray_session
from agentkit.errors import ConfigError

BACKENDS: tuple[str, ...] = ("local", "ray")  # where samples are answered: this process, or a Ray cluster


@contextlib.contextmanager
def _answering(benchmark: Benchmark[Any], backend: str, concurrency: int, address: str | None) -> Iterator[tuple[Backend, set[str]]]:
    """The backend's outcome stream and the ids its predictor must not be scored on."""
    if backend == "local":
        predictor = benchmark.predictor()
        yield local_backend(predictor, concurrency), set(getattr(predictor, "excluded_ids", set()))
        return
    with ray_session(address, num_cpus=concurrency) as ray:
        workers = RayWorkers(ray, benchmark.predictor_factory(), concurrency, what=getattr(benchmark, "what", type(benchmark).__name__), to_wire=benchmark.to_wire)
        yield workers.outcomes, workers.excluded_ids()


def run_benchmark(
    benchmark: Benchmark[Any], folder: RunFolder, *, backend: str = "local", concurrency: int = 1, address: str | None = None,
    on_start: Callable[[int, int], None] | None = None, on_done: Callable[[Any, bool], None] | None = None,
) -> RunStats:  # fmt: skip
    """Run every pending sample on ``backend`` ("local" or "ray"), record the outcomes, score the run.

    The folder's ``run.json`` is written once the backend is ready; samples already recorded
    are skipped, so a run resumes (on either backend). ``on_start(total, already_done)`` and
    ``on_done(sample, ok)`` drive a progress display.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown --backend {backend!r} (expected {' or '.join(BACKENDS)})")
    if concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    folder.check_resume()
    with _answering(benchmark, backend, concurrency, address) as (outcomes, excluded):
        folder.start()
        samples = benchmark.load_samples(excluded)
        done_before = benchmark.done_ids(folder)
        pending = [s for s in samples if s.id not in done_before]
        if on_start:
            on_start(len(samples), len(samples) - len(pending))
        done, failed = asyncio.run(drive(benchmark.record, outcomes, pending, folder, on_done))
    metrics = benchmark.score(samples, folder)
    return RunStats(len(samples), len(samples) - len(pending), done, failed, samples, metrics)


__all__ = ["BACKENDS", "run_benchmark"]
