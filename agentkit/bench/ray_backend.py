"""The Ray backend of the benchmark kit (``agentkit bench taskbench|bfcl --backend ray``): samples spread
over the workers of a Ray cluster.

Evaluations outgrow one machine: each worker is a Ray actor that builds the benchmark's predictor
once (so a local model loads once per worker, not per sample) and answers one sample at a time. The
driver keeps ``--concurrency`` workers busy and records every outcome as it arrives through the same
code as the local backend (:mod:`agentkit.bench.kit`), so records, failures, resumes, metrics and
reports are the same whichever backend ran them.

What travels to the workers: the predictor's factory over plain data (for TaskBench: the system's
name and options, the *path* of the domain folder, the model spec; a model object, including a
``fake:`` model, which is registered in the driver only, travels pickled) and what of each sample
the benchmark sends (TaskBench: id and request, never the gold answer; BFCL: the question and its
functions, scored in the driver). Nothing else is uploaded (no ``runtime_env`` ``working_dir``), so
neither the repository nor its data folders are shipped. On a remote cluster therefore every node
needs agentkit installed (with the extras its model backend needs) and the data readable at the same
absolute path (a shared file system). Each worker reserves one CPU of the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from agentkit.bench.kit import Outcome, Predictor
from agentkit.errors import ConfigError, RunError
from agentkit.models import ChatModel

INSTALL_HINT = "pip install 'agentkit[ray]'"
MAX_RESTARTS = 3  # a worker whose process dies (OOM, crash) is rebuilt; the sample it held is recorded as failed


def require_ray() -> ModuleType:
    """The ``ray`` module, or one clear ConfigError naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--backend ray needs Ray, an optional extra: {INSTALL_HINT}") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None, num_cpus: int) -> Iterator[ModuleType]:
    """Connect to the cluster at ``address`` (``auto``, ``host:port``, ``ray://host:port``), or start a
    private local instance with ``num_cpus`` CPUs; always disconnect, which stops an instance we started
    (also on Ctrl-C and errors). A connection the calling program already made is used and left open."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    # Quiet: no dashboard, worker output stays in Ray's session logs (it would break the progress bar).
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if address is None:
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
    except Exception as exc:  # noqa: BLE001 - Ray raises ConnectionError, ValueError, RuntimeError...
        ray.shutdown()
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise ConfigError(f"cannot start or reach {where}: {exc}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


class Worker:
    """One Ray actor: a predictor built once from plain data (``factory``), answering one sample at a time."""

    def __init__(self, factory: Callable[[], Predictor[Any]]):
        # A constructor that raises leaves the driver only a traceback string; kept, the error
        # itself reaches the driver through excluded_ids() (the first call) and stays typed.
        self.broken: Exception | None = None
        try:
            self.predictor = factory()
        except Exception as exc:  # noqa: BLE001 - re-raised by excluded_ids()
            self.broken = exc

    async def excluded_ids(self) -> set[str]:
        """The ids the predictor must not be scored on (e.g. demos it shows); raises what building it raised."""
        if self.broken is not None:
            raise self.broken
        return set(getattr(self.predictor, "excluded_ids", set()))

    async def predict(self, sample: Any) -> Outcome:
        return await self.predictor.predict(sample)


def model_source(model: str | ChatModel) -> str | ChatModel:
    """What each worker builds its model from: a spec string it loads itself, or a model object it
    receives pickled. ``fake:`` specs resolve here, since fakes are registered in this process only."""
    from agentkit.models import load_model, parse_model_spec

    if isinstance(model, str) and parse_model_spec(model).backend != "fake":
        return model
    return load_model(model)


class RayWorkers:
    """``n`` workers on the cluster, each holding a predictor built by ``factory``; :meth:`outcomes` keeps them all busy.

    ``factory`` (pickled to each worker: a module-level function or a ``functools.partial`` of
    one, over plain data) builds the predictor; ``to_wire(sample)`` is what of a sample travels
    (default: the sample itself; TaskBench sends the id and request only, never the gold answer).
    """

    def __init__(self, ray: ModuleType, factory: Callable[[], Predictor[Any]], n: int, *, what: str = "predictor",
                 to_wire: Callable[[Any], Any] | None = None):  # fmt: skip
        cpus = ray.cluster_resources().get("CPU", 0)
        if cpus < n:
            raise ConfigError(f"--concurrency {n} needs {n} CPUs on the Ray cluster, which has {cpus:g}: lower --concurrency")
        # Arguments go inline (no ray.put): a restarted worker needs them again, and an object-store
        # argument of a restartable actor can go out of scope (Ray warns about exactly that).
        actor = ray.remote(Worker).options(num_cpus=1, max_concurrency=1, max_restarts=MAX_RESTARTS)
        try:
            self.actors = [actor.remote(factory) for _ in range(n)]
        except TypeError as exc:  # an object that cannot be pickled, e.g. a loaded llama.cpp model
            raise ConfigError(f"the ray backend cannot send this model to its workers ({exc}): pass a model spec instead") from None
        self.ray = ray
        self.what = what
        self.to_wire = to_wire or (lambda sample: sample)

    def excluded_ids(self) -> set[str]:
        """Waits until every worker has built its system; a worker that cannot is a clear error, not a hang."""
        try:
            found = self.ray.get([a.excluded_ids.remote() for a in self.actors])
        except self.ray.exceptions.RayError as exc:
            raise _worker_error(exc, f"a Ray worker could not build the {self.what}") from None
        return set().union(*found)

    async def outcomes(self, samples: Sequence[Any]) -> AsyncIterator[Outcome]:
        """Each worker gets the next sample as soon as it is free; outcomes come back as they finish."""
        queue = list(samples)[::-1]  # pop() from the end: gold order
        idle = list(self.actors)
        running: dict[asyncio.Future[Any], tuple[Any, Any, float]] = {}
        while queue or running:
            while queue and idle:
                actor, sample = idle.pop(), queue.pop()
                ref = actor.predict.remote(self.to_wire(sample))
                running[asyncio.wrap_future(ref.future())] = (actor, sample, time.perf_counter())
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in finished:
                actor, sample, started = running.pop(future)
                idle.append(actor)
                exc = future.exception()
                if exc is None:
                    yield future.result()
                else:  # the worker died under this sample: recorded like any failure, retried on a resume
                    yield Outcome(sample.id, time.perf_counter() - started, error_type=type(exc).__name__, error=str(exc))


def _worker_error(exc: BaseException, what: str) -> Exception:
    """The error a worker raised (a missing data folder, a bad model...) as a one-line agentkit error."""
    cause = getattr(exc, "cause", None)  # a task's own exception, unpickled
    if isinstance(cause, ConfigError):
        return ConfigError(f"{what}: {cause}")
    if cause is not None:
        return RunError(f"{what}: {type(cause).__name__}: {cause}")
    return RunError(f"{what}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


__all__ = ["INSTALL_HINT", "RayWorkers", "Worker", "model_source", "ray_session", "require_ray"]
