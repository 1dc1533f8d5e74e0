"""``agentkit bench taskbench --backend ray``: the same records as the local backend, resumes across
backends, clean errors, and a private local Ray instance that is always shut down.

One Ray cluster (2 CPUs) serves the module; the tests reach it by ``--address`` as they would a remote
one. Fakes are registered in this process only, so the driver pickles the fake model to the workers
(:func:`agentkit.bench.ray_backend.model_source`); the fake's class lives in ``tests/helpers.py``, which
the workers import from the tests folder put on their ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray  # in the dev extra: these tests run in CI, never skipped
from typer.testing import CliRunner

from agentkit.bench.run import run_taskbench
from agentkit.cli import app
from agentkit.errors import ConfigError
from agentkit.models import FunctionModel, register_fake
from agentkit.testing import free_port
from helpers import FAILING, TEMPORAL, Planner, assert_one_error_line, read_jsonl, request_of

TESTS = Path(__file__).parent
lines = read_jsonl


def bench(*args: object):
    return CliRunner().invoke(app, ["bench", *map(str, args)])


@pytest.fixture(scope="module", autouse=True)
def ray_env() -> Iterator[None]:
    """For every Ray process of this module: the tests folder on the path (the workers unpickle the fake's
    class from ``helpers``), no usage stats, and no token auth (Ray's local init would otherwise
    switch this process to token mode, which a cluster started without it then refuses)."""
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"PYTHONPATH": path, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory, ray_env: None) -> Iterator[str]:
    """A 2-CPU Ray head on 127.0.0.1 in its own temp dir, stopped (by its process group) after the module."""
    port = free_port()
    temp = tmp_path_factory.mktemp("ray")
    log = (temp / "ray-start.log").open("wb")
    command = [
        str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
        "--node-ip-address=127.0.0.1", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}",
    ]  # fmt: skip
    head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert head.poll() is None, (temp / "ray-start.log").read_text()
            assert time.monotonic() < deadline, "ray start did not open its port in 90 s"
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        head.terminate()  # `ray start --block` stops the processes it started on SIGTERM
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, 9)
            head.wait()
        log.close()


@pytest.fixture
def planner() -> Planner:
    """Gold-like plans, failing on one request; registered in this (the driver's) process only."""
    fake = Planner(fail=FAILING)
    register_fake("bench-ray", lambda: FunctionModel(fake, name="fake:bench-ray"))
    return fake


def taskbench(out: Path, *extra: str):
    return bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-ray", "--retriever", "bm25", "--out", out, "--quiet", *extra)


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in lines(path)}


def comparable(out: Path) -> dict[str, Any]:
    """Everything a run records except timings (which differ from run to run)."""
    metrics = json.loads((out / "metrics.json").read_text())
    return {
        "predictions": by_id(out / "predictions.jsonl"),
        "errors": by_id(out / "errors.jsonl"),
        "attempts": sorted((r["id"], r["status"], r.get("model_calls"), r.get("completion_tokens")) for r in lines(out / "samples.jsonl")),
        "metrics": {k: metrics[k] for k in ("run", "samples", "errors", "official", "strict")},
    }


def test_ray_records_what_the_local_backend_records(tmp_path, planner, ray_address):
    local = taskbench(tmp_path / "local")
    assert local.exit_code == 0, local.output
    calls_in_driver = dict(planner.calls)
    on_ray = taskbench(tmp_path / "ray", "--backend", "ray", "--address", ray_address, "--concurrency", "2")
    assert on_ray.exit_code == 0, on_ray.output
    assert planner.calls == calls_in_driver  # the samples were planned on the Ray workers, not here
    assert "4 samples: 0 already done, 3 predicted now, 1 failed now" in on_ray.stdout
    ray_run, local_run = comparable(tmp_path / "ray"), comparable(tmp_path / "local")
    assert sorted(ray_run["predictions"]) == ["t1", "t2", "t4"]
    assert ray_run["errors"]["t3"]["error_type"] == "RuntimeError" and "model crashed" in ray_run["errors"]["t3"]["error"]
    assert ray_run == local_run


@pytest.mark.slow  # starts and stops a private Ray instance (about 10 s)
def test_a_local_run_resumes_on_a_private_local_ray_instance_which_is_then_stopped(tmp_path, planner):
    out = tmp_path / "run"
    assert taskbench(out, "--limit", "2").exit_code == 0
    planner.fail.clear()  # each run sends the workers a fresh copy: t3 succeeds from now on
    resumed = taskbench(out, "--backend", "ray", "--concurrency", "2")  # no --address: a local instance of its own
    assert resumed.exit_code == 0, resumed.output
    assert not ray.is_initialized()  # shut down, not left running
    assert "4 samples: 2 already done, 2 predicted now, 0 failed now" in resumed.stdout
    attempts = [r["id"] for r in lines(out / "samples.jsonl")]
    assert attempts[:2] == ["t1", "t2"] and sorted(attempts[2:]) == ["t3", "t4"]  # nothing planned twice
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == 4 and metrics["strict"]["coverage"]["valid"] == 4 and metrics["errors"] == {}


class Crashing(Planner):
    """Kills the worker process on the failing requests, as an OOM kill or a crash in a native model would."""

    def __call__(self, messages: list[Any], schema: dict[str, Any] | None) -> Any:
        if request_of(messages) in self.fail:
            os._exit(1)
        return super().__call__(messages, schema)


def test_a_worker_that_dies_fails_its_sample_only(tmp_path, ray_address):
    register_fake("bench-ray-crash", lambda: FunctionModel(Crashing(fail=FAILING), name="fake:bench-ray-crash"))
    out = tmp_path / "run"
    result = bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-ray-crash", "--retriever", "bm25", "--out", out,
                   "--quiet", "--backend", "ray", "--address", ray_address, "--concurrency", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 predicted now, 1 failed now" in result.stdout
    assert sorted(by_id(out / "predictions.jsonl")) == ["t1", "t2", "t4"]
    error = by_id(out / "errors.jsonl")["t3"]
    assert "Actor" in error["error_type"] and error["error"]  # Ray's ActorDiedError, recorded like any failure


def test_worker_and_cluster_errors_are_one_line(tmp_path, planner, ray_address):
    out = tmp_path / "run"
    # The fixture domain has none of upstream's demo ids: the workers cannot build the system.
    result = bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-ray", "--system", "reference", "--demos", "1",
                   "--out", out, "--quiet", "--backend", "ray", "--address", ray_address)  # fmt: skip
    assert_one_error_line(result, "a Ray worker could not build the reference system", "demo")
    assert_one_error_line(taskbench(out, "--backend", "ray", "--address", ray_address, "--concurrency", "3"), "needs 3 CPUs", "has 2")
    # Python API: a model object travels pickled; one that cannot be is a ConfigError, not a Ray traceback.
    lock = threading.Lock()
    unpicklable = FunctionModel(lambda messages, schema: "" if lock else "", name="fake:locked")
    with pytest.raises(ConfigError, match="cannot send this model to its workers"):
        run_taskbench(TEMPORAL, unpicklable, out=out, retriever="bm25", backend="ray", address=ray_address)
    assert not out.exists()


def test_bad_backend_flags_and_missing_ray_are_one_line(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert_one_error_line(taskbench(out, "--backend", "banana"), "--backend", "local, ray")
    assert_one_error_line(taskbench(out, "--address", "auto"), "--address needs --backend ray")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, as without the extra
    assert_one_error_line(taskbench(out, "--backend", "ray"), "pip install 'agentkit[ray]'")
    assert not out.exists()


def test_bfcl_answers_on_ray_workers_and_scores_in_the_driver(tmp_path, ray_address):
    from agentkit.bench.bfcl import run_bfcl
    from agentkit.bench.bfcl_data import select_categories
    from helpers import Refuser

    data = tmp_path / "bfcl"
    (data / "possible_answer").mkdir(parents=True)
    question = {"role": "user", "content": "Who wrote Hamlet?"}
    function = {"name": "bmi", "description": "Body mass index.", "parameters": {"type": "dict", "properties": {"weight": {"type": "float"}}, "required": ["weight"]}}
    (data / "BFCL_v4_irrelevance.json").write_text("".join(
        json.dumps({"id": f"irrelevance_{i}", "question": [[question]], "function": [function]}) + "\n" for i in range(3)
    ))  # fmt: skip
    model = FunctionModel(Refuser(), name="fake:refuser")
    categories = select_categories(["irrelevance"])
    local = run_bfcl(model, categories=categories, out=tmp_path / "local", data_dir=data)
    on_ray = run_bfcl(model, categories=categories, out=tmp_path / "ray", data_dir=data, backend="ray", address=ray_address, concurrency=2)
    assert on_ray.done == 3 and on_ray.metrics["irrelevance"]["no_call"] == 3
    assert {k: on_ray.metrics[k] for k in ("overall", "irrelevance")} == {k: local.metrics[k] for k in ("overall", "irrelevance")}
    assert run_bfcl(model, categories=categories, out=tmp_path / "ray", data_dir=data, backend="ray", address=ray_address).skipped == 3
