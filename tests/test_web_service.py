"""examples/web_service.py under a real uvicorn on 127.0.0.1: SSE keep-alive pings, client disconnects, sessions."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from agentkit import Agent, tool
from agentkit.testing import free_port, plan_model

EXAMPLE = Path(__file__).parent.parent / "examples" / "web_service.py"
STARTED, CANCELLED = threading.Event(), threading.Event()


def web_service():
    spec = importlib.util.spec_from_file_location("example_web_service_live", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tool
async def slow(seconds: float) -> str:
    """Wait a while, then say so.

    Args:
        seconds: how long
    """
    STARTED.set()
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        CANCELLED.set()
        raise
    return f"waited {seconds} s"


def wait_plan(seconds: float) -> dict:
    return {"task_steps": ["wait"], "task_nodes": [{"task": "slow", "arguments": {"seconds": str(seconds)}}], "task_links": []}


@pytest.fixture
def serve():
    """Start the example's app under a real uvicorn server in a thread; stop it afterwards."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app) -> str:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    STARTED.clear()
    CANCELLED.clear()
    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_quiet_stream_gets_keep_alive_pings_then_the_result(serve):
    agent = Agent([slow], model=plan_model(wait_plan(1.0), answer="waited"), retriever=None)
    url = serve(web_service().create_app(agent, ping=0.2))
    with httpx.stream("POST", f"{url}/stream", json={"request": "wait a second"}, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    kinds = [json.loads(line[len("data: "):])["kind"] if line.startswith("data: ") else "ping" for line in lines]
    started, finished = kinds.index("node_started"), kinds.index("node_finished")
    assert kinds[started:finished].count("ping") >= 2  # the tool's quiet second is kept alive
    assert all(line.startswith((": ping", "data: ")) for line in lines)
    assert kinds[-1] == "finished" and json.loads(lines[-1][len("data: "):])["result"]["nodes"][0]["output"] == "waited 1.0 s"


def test_a_client_that_goes_away_cancels_its_run_and_the_server_carries_on(serve, caplog):
    agent = Agent([slow], model=plan_model(wait_plan(30.0), wait_plan(0.0)), retriever=None)
    url = serve(web_service().create_app(agent, ping=0.2))
    caplog.set_level(logging.WARNING)
    with httpx.stream("POST", f"{url}/stream", json={"request": "wait long"}, timeout=30) as response:
        for line in response.iter_lines():
            if '"kind":"node_started"' in line:
                break  # and close the connection mid-run
    assert STARTED.is_set()
    assert CANCELLED.wait(timeout=10), "the tool kept running after the client left"
    after = httpx.post(f"{url}/run", json={"request": "wait not at all"}, timeout=30)
    assert after.status_code == 200 and after.json()["status"] == "ok"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


async def test_detached_lets_a_consumer_cancelled_by_anyio_stop_the_run():
    """What Starlette does to a response whose client left: an anyio cancel scope, re-delivered at every await."""
    import anyio

    from agentkit.streaming import detached

    STARTED.clear()
    CANCELLED.clear()
    agent = Agent([slow], model=plan_model(wait_plan(30.0)), retriever=None)

    async def consume() -> None:
        async for _ in detached(agent.stream("wait long")):
            pass

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        while not STARTED.is_set():
            await asyncio.sleep(0.01)
        group.cancel_scope.cancel()
    assert CANCELLED.is_set()  # the run unwound (its tool cancelled) before the consumer was done


def test_each_client_is_one_conversation(serve):
    agent = Agent([slow], model=plan_model(wait_plan(0.0)), retriever=None)
    url = serve(web_service().create_app(agent))
    with httpx.Client(base_url=url, timeout=30) as alice, httpx.Client(base_url=url, timeout=30) as bob:
        first = alice.post("/run", json={"request": "wait"}).json()
        again = alice.post("/run", json={"request": "wait again"}).json()  # the cookie brings the session back
        other = bob.post("/run", json={"request": "wait"}).json()
        explicit = bob.post("/run", json={"request": "wait", "session": first["session"]}).json()
    assert first["session"] == again["session"] == explicit["session"] != other["session"]
    assert first["thread_id"] == first["session"] and other["thread_id"] == other["session"]
