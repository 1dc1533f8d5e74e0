"""Every example runs: fast with fake models, and for real on the default model (slow)."""

import importlib.util
import json
from pathlib import Path

import httpx
import pytest

from agentkit import Agent
from agentkit.planners import get_planner
from agentkit.testing import plan_model
from helpers import read_jsonl

EXAMPLES = Path(__file__).parent.parent / "examples"
FIXTURES = Path(__file__).parent / "fixtures" / "taskbench_mini"
PLAN = {"task_steps": ["percentage"], "task_nodes": [{"task": "percentage_of", "arguments": {"percent": "15", "value": "240"}}], "task_links": []}
SHORT = get_planner("one-shot", max_nodes=2)  # real-model runs: short plans keep them quick


def example(name):
    """Import examples/NAME.py by path (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def math_tools():
    from agentkit.tools import load_pack

    return load_pack("math")


async def _post(app, path, request="What is 15 percent of 240?"):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.post(path, json={"request": request}, timeout=600)


def _sse(response):
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("\n\n")
    return [json.loads(line[len("data: "):]) for line in response.text.splitlines() if line.startswith("data: ")]


# -- web_service -----------------------------------------------------------------------------


async def test_web_service_streams_events_as_server_sent_events():
    app = example("web_service").create_app(Agent(math_tools(), model=plan_model(PLAN, answer="36"), retriever=None))
    events = _sse(await _post(app, "/stream"))
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "retrieved" and kinds[-1] == "finished"
    assert {"planned", "path_chosen", "node_started", "node_finished", "model_called"} <= set(kinds)
    assert events[-1]["result"]["nodes"][0]["output"] == 36.0 and events[-1]["result"]["answer"] == "36"


async def test_web_service_run_returns_the_typed_result():
    app = example("web_service").create_app(Agent(math_tools(), model=plan_model(PLAN, answer="36"), retriever=None))
    response = await _post(app, "/run")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["answer"] == "36"
    assert body["plan"]["task_nodes"][0]["task"] == "percentage_of" and body["nodes"][0]["output"] == 36.0


async def test_web_service_reports_a_failed_run_as_json():
    bad = {"task_steps": ["x"], "task_nodes": [{"task": "no_such_tool", "arguments": {}}], "task_links": []}
    app = example("web_service").create_app(Agent(math_tools(), model=plan_model(bad), retriever=None))
    run = await _post(app, "/run")
    assert run.status_code == 500 and run.json()["error_type"] == "PlanError"
    events = _sse(await _post(app, "/stream"))  # every data line is JSON, the error one included
    assert events[-1]["kind"] == "error" and events[-1]["error_type"] == "PlanError" and "no_such_tool" in events[-1]["error"]


# -- openai_tools ----------------------------------------------------------------------------


def test_openai_tools_are_retrieved_by_their_documentation():
    from agentkit.retrieval import make_retriever

    module = example("openai_tools")
    tools = module.load_tools()
    assert set(tools.names) == {"get_weather", "convert_currency", "local_time", "translate_text"}
    assert all(t.executable for t in tools) and tools.get("convert_currency")(20, "EUR", "USD") == 21.6
    hybrid = make_retriever("hybrid", list(tools))
    assert hybrid.search("How much is 20 EUR in US dollars?", k=1)[0].name == "convert_currency"
    assert hybrid.search("What time is it in Tokyo right now?", k=1)[0].name == "local_time"
    assert make_retriever("bm25", list(tools)).search("weather forecast for Oslo", k=1)[0].name == "get_weather"


async def test_openai_tools_example_runs_the_attached_functions(capsys):
    plan = {"task_steps": ["convert"], "task_nodes": [{"task": "convert_currency", "arguments": {"amount": "20", "source": "EUR", "target": "USD"}}], "task_links": []}
    result = await example("openai_tools").main("How much is 20 EUR in USD?", model=plan_model(plan, answer="21.6 USD"))
    assert result.status == "ok" and result.nodes[0].output == 21.6
    assert result.retrieved[0].name == "convert_currency"
    out = capsys.readouterr().out
    assert "convert_currency" in out and "score" in out and "answer: 21.6 USD" in out


# -- taskbench_eval --------------------------------------------------------------------------


def test_taskbench_eval_writes_and_scores_predictions(tmp_path, capsys):
    plan = {"task_steps": ["classify"], "task_nodes": [{"task": "Image Classification", "arguments": {"image": "photo.jpg"}}], "task_links": []}
    scores = example("taskbench_eval").main(model=plan_model(plan), out=tmp_path)
    lines = read_jsonl(tmp_path / "predictions.jsonl")
    assert [p["id"] for p in lines] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert lines[0]["result"]["task_nodes"] == [{"task": "Image Classification", "arguments": ["photo.jpg"]}]
    assert scores["official"].overall.samples == scores["strict"].overall.samples == 6
    assert scores["strict"].splits["single"].n_f1 == 100.0  # r1 is the single-tool sample
    out = capsys.readouterr().out
    assert "official mode" in out and "strict mode" in out and "| overall |" in out


def test_taskbench_eval_on_a_temporal_domain_with_a_limit(tmp_path):
    plan = {"task_steps": ["alarm"], "task_nodes": [{"task": "set_alarm", "arguments": {"time": "9:00 am"}}], "task_links": []}
    scores = example("taskbench_eval").main(FIXTURES / "temporal", model=plan_model(plan), limit=2, out=tmp_path)
    first = json.loads((tmp_path / "predictions.jsonl").read_text().splitlines()[0])
    assert first["result"]["task_nodes"][0]["arguments"] == [{"name": "time", "value": "9:00 am"}]
    assert scores["strict"].overall.samples == 2  # only the selected samples are scored


# -- on the default model (slow) -------------------------------------------------------------


@pytest.mark.slow
async def test_web_service_on_the_default_model(gemma):
    app = example("web_service").create_app(Agent(math_tools(), model=gemma, retriever="bm25", top_k=4, strategy=SHORT))
    events = _sse(await _post(app, "/stream", "What is 15 percent of 240?"))
    assert events[0]["kind"] == "retrieved" and events[-1]["kind"] == "finished", events[-1]
    result = events[-1]["result"]
    assert result["status"] == "ok" and "36" in result["answer"]
    assert any(n["status"] == "ok" and str(n["output"]) in ("36", "36.0") for n in result["nodes"])


@pytest.mark.slow
async def test_mixed_roles_against_a_real_local_server(llama_server_url):
    result = await example("mixed_roles").main(llama_server_url, "What is 15 percent of 240?")
    assert result.usage["planner"].prompt_tokens > 0 and result.status.value in ("ok", "partial", "failed")
    right = "36" in result.answer and any(str(n.output) in ("36", "36.0") for n in result.nodes)
    assert right or not result.grounded, result.answer  # right, or honestly not vouched for


@pytest.mark.slow
async def test_openai_tools_on_the_default_model(gemma):
    result = await example("openai_tools").main("How much is 20 EUR in USD?", model=gemma)
    assert result.retrieved[0].name == "convert_currency"
    right = [n.tool for n in result.nodes] == ["convert_currency"] and result.status.value == "ok"
    assert right or not result.grounded or result.status.value != "ok", result  # right, or honestly not vouched for


@pytest.mark.slow
def test_taskbench_eval_on_the_default_model(gemma, tmp_path):
    scores = example("taskbench_eval").main(model=gemma, limit=2, out=tmp_path, max_nodes=2)
    assert scores["strict"].overall.samples == 2 and scores["strict"].coverage.gold == 2


def test_examples_are_small_documented_scripts():
    for path in EXAMPLES.glob("*.py"):
        source = path.read_text()
        tree = compile(source, str(path), "exec", flags=0x400)  # ast.PyCF_ONLY_AST
        assert tree.body[0].value.value.strip(), path  # a module docstring
        assert "def main(" in source and 'if __name__ == "__main__":' in source, path
        assert len(source.splitlines()) <= 120, path
    assert not (EXAMPLES / "__init__.py").exists()
