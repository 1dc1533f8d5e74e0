"""Helpers for testing agents: fake models and a real local OpenAI-compatible server.

``serve_llamacpp()`` starts llama_cpp.server (through ``agentkit.models.llama_server``) on 127.0.0.1 with a GGUF
(the default Gemma by default), waits until it answers, and always stops it by PID,
because a server whose port bind fails keeps running and a SIGTERM during generation
can be ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from pathlib import Path

from .errors import ConfigError
from .models.fake import FunctionModel, ScriptedModel


def plan_model(*plans: dict[str, Any], answer: str = "done", name: str = "fake:planned") -> FunctionModel:
    """A fake model that plays the planner (from TaskBench-style plans), the caller and the summarizer.

    Each planning phase gets the matching part of the current plan (steps, then nodes
    and links); every new steps request moves to the next plan, the last one repeating,
    so ``plan_model(bad, good)`` exercises the repair round. As the caller it copies the
    planned arguments it is shown; plain-text calls get ``answer``.
    """
    queue = list(plans)
    state: dict[str, Any] = {"plan": queue[0], "nodes_served": 0}

    def reply(messages: list[Any], schema: dict[str, Any] | None) -> Any:
        if schema is None:
            return answer
        props = schema.get("properties", {})
        if "answer" in props:
            return {"answer": answer}
        if "task_steps" not in props and "task_nodes" not in props:
            return _copy_planned_arguments(messages, props)
        if "task_nodes" not in props:
            if state["nodes_served"]:
                queue.pop(0) if len(queue) > 1 else None
            state["plan"], state["nodes_served"] = queue[0], 0
            return {"task_steps": state["plan"]["task_steps"]}
        if state["nodes_served"] and len(queue) > 1:
            queue.pop(0)
            state["plan"] = queue[0]
        state["nodes_served"] += 1
        plan = state["plan"]
        return {"task_nodes": plan["task_nodes"], "task_links": plan.get("task_links", [])}

    return FunctionModel(reply, name=name)


def _copy_planned_arguments(messages: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    """The caller's part: the "Planned arguments" of its prompt, limited to the requested parameters."""
    from .planning import coerce_value

    for line in messages[-1].content.splitlines():
        if line.startswith("Planned arguments: "):
            planned = json.loads(line.removeprefix("Planned arguments: "))
            return {k: coerce_value(v, props[k]) for k, v in planned.items() if k in props}
    return {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/models", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve_llamacpp(
    model_path: str | Path | None = None,
    *,
    port: int | None = None,
    n_ctx: int = 4096,
    n_threads: int = 2,
    chat_format: str = "gemma",
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run llama-cpp-python's OpenAI-compatible server; yield its base URL (``http://127.0.0.1:P/v1``)."""
    if model_path is None:
        from .models.llamacpp import default_gguf_path

        model_path = default_gguf_path()
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [
        sys.executable, "-m", "agentkit.models.llama_server",  # llama_cpp.server, repacking decided per CPU
        "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port),
        "--n_threads", str(n_threads), "--n_ctx", str(n_ctx), "--chat_format", chat_format,
    ]  # fmt: skip
    # The server logs a lot: a file, not a pipe, so a full pipe buffer can never block it.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _ready(url):
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")[-800:]
                raise ConfigError(f"llama_cpp.server exited with code {proc.returncode}: {err}")
            if time.monotonic() > deadline:
                raise ConfigError(f"llama_cpp.server did not answer on {url} within {startup_timeout:g}s")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


__all__ = ["FunctionModel", "ScriptedModel", "free_port", "plan_model", "serve_llamacpp"]
