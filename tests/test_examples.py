"""Every example runs: fast with fake models, and for real on the default model (slow)."""

import importlib.util
import json
from pathlib import Path

import httpx
import pytest

from agentkit import Agent
from agentkit.testing import plan_model

EXAMPLES = Path(__file__).parent.parent / "examples"
PLAN = {"task_steps": ["percentage"], "task_nodes": [{"task": "percentage_of", "arguments": {"percent": "15", "value": "240"}}], "task_links": []}


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def math_tools():
    from agentkit.tools import load_pack

    return load_pack("math")


async def _post(app, path):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.post(path, json={"request": "What is 15 percent of 240?"}, timeout=300)


async def test_web_service_streams_events_as_server_sent_events():
    app = example("web_service").create_app(Agent(math_tools(), model=plan_model(PLAN, answer="36"), retriever=None))
    response = await _post(app, "/stream")
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: "):]) for line in response.text.splitlines() if line.startswith("data: ")]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "retrieved" and "node_finished" in kinds and kinds[-1] == "finished"
    assert events[-1]["result"]["nodes"][0]["output"] == 36.0


async def test_web_service_run_returns_the_typed_result():
    app = example("web_service").create_app(Agent(math_tools(), model=plan_model(PLAN, answer="36"), retriever=None))
    body = (await _post(app, "/run")).json()
    assert body["status"] == "ok" and body["answer"] == "36"


def test_openai_tools_are_retrieved_by_their_documentation():
    from agentkit.retrieval import make_retriever

    tools = example("openai_tools").load_tools()
    retriever = make_retriever("hybrid", list(tools))
    assert retriever.search("How much is 20 EUR in US dollars?", k=1)[0].name == "convert_currency"
    assert retriever.search("Is it raining in Oslo right now?", k=1)[0].name == "get_weather"  # no shared word: dense
    assert tools.get("convert_currency")(20, "EUR", "USD") == 21.6


def test_taskbench_eval_writes_and_scores_predictions(tmp_path):
    plan = {"task_steps": ["classify"], "task_nodes": [{"task": "Image Classification", "arguments": {"image": "photo.jpg"}}], "task_links": []}
    scores = example("taskbench_eval").main(model=plan_model(plan), limit=2, out=tmp_path)
    assert (tmp_path / "predictions.jsonl").exists()
    assert scores["strict"].overall.samples == 2


@pytest.mark.slow
async def test_web_service_on_the_default_model(gemma):
    app = example("web_service").create_app(Agent(math_tools(), model=gemma, retriever="bm25"))
    response = await _post(app, "/stream")
    assert '"kind":"finished"' in response.text.replace(" ", "")


@pytest.mark.slow
async def test_mixed_roles_against_a_real_local_server(gemma, llama_server_url):
    result = await example("mixed_roles").main(llama_server_url)
    assert result.usage["planner"].prompt_tokens > 0 and result.plan is not None


@pytest.mark.slow
async def test_openai_tools_on_the_default_model(gemma):
    result = await example("openai_tools").main("How much is 20 EUR in USD?", model=gemma)
    assert result.retrieved and result.plan is not None


@pytest.mark.slow
def test_taskbench_eval_on_the_default_model(gemma, tmp_path):
    scores = example("taskbench_eval").main(model=gemma, limit=2, out=tmp_path)
    assert scores["strict"].overall.samples == 2
