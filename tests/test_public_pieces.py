"""Small public pieces the README names: the OpenAI backend's structured-output choice and API key,
Tool.to_openai, ToolRegistry.subset, RunResult.total_usage and bench's run_samples."""

from __future__ import annotations

import pytest

from agentkit import ConfigError, ToolRegistry, tool
from agentkit.models.base import Usage
from agentkit.models.openai_compatible import OpenAICompatibleModel
from agentkit.result import RunResult, RunStatus
from helpers import read_jsonl, recording_openai_server

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": False}


# -- the OpenAI-compatible backend -------------------------------------------------------------


async def sent_response_format(url: str, **options) -> dict | None:
    client, seen = recording_openai_server()
    model = OpenAICompatibleModel("m", base_url=url, http_client=client, max_retries=0, **options)
    await model.complete("hi", json_schema=SCHEMA)
    return seen[0].get("response_format")


async def test_a_local_host_gets_llama_cpps_json_object_with_the_schema(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # local servers need no key
    sent = await sent_response_format("http://127.0.0.1:8011/v1")
    assert sent["type"] == "json_object" and sent["schema"]["properties"] == SCHEMA["properties"]


@pytest.mark.parametrize(("url", "structured", "kind"), [
    ("http://127.0.0.1:8011/v1", "json_schema", "json_schema"),  # a local vLLM
    ("https://llama.example.test/v1", "json_object", "json_object"),  # a remote llama.cpp server
    ("http://localhost:8011/v1", "none", None),  # no constrained decoding: validation only
])  # fmt: skip
async def test_structured_overrides_the_choice(monkeypatch, url, structured, kind):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    sent = await sent_response_format(url, structured=structured)
    assert (sent or {}).get("type") == kind


def test_a_missing_api_key_is_a_config_error_naming_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
        OpenAICompatibleModel("gpt-4o-mini")


def test_the_api_key_is_never_shown(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    model = OpenAICompatibleModel("gpt-4o-mini")
    assert "sk-secret-123" not in f"{model.name} {model!r}"


# -- tools, registries, results --------------------------------------------------------------


@tool
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: first addend
        b: second addend
    """
    return a + b


@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout
    """
    return text.upper()


def test_tool_to_openai_is_an_openai_tools_entry():
    entry = add.to_openai()
    assert entry == {"type": "function", "function": {"name": "add", "description": add.description, "parameters": add.parameters}}
    assert entry["function"]["parameters"]["required"] == ["a", "b"]
    assert entry["function"]["parameters"]["properties"]["a"]["type"] == "integer"


def test_registry_subset_keeps_the_given_names_in_the_given_order():
    registry = ToolRegistry([add, shout])
    assert [t.name for t in registry.subset(["shout", "add"])] == ["shout", "add"]
    assert [t.name for t in registry.subset(["add"])] == ["add"] and len(registry) == 2  # a new registry
    with pytest.raises(Exception, match="nope"):
        registry.subset(["nope"])


def test_total_usage_adds_every_roles_usage():
    result = RunResult(request="x", status=RunStatus.OK, thread_id="t", usage={
        "planner": Usage(prompt_tokens=10, completion_tokens=5, latency_s=1.0, calls=2),
        "summarizer": Usage(prompt_tokens=3, completion_tokens=4, latency_s=0.5, calls=1, estimated=True),
    })  # fmt: skip
    total = result.total_usage
    assert (total.prompt_tokens, total.completion_tokens, total.calls) == (13, 9, 3)
    assert total.latency_s == pytest.approx(1.5) and total.estimated  # one estimated part makes the sum estimated
    assert RunResult(request="x", status=RunStatus.OK, thread_id="t").total_usage == Usage()


# -- run_samples: predict, record, resume ------------------------------------------------------


class EchoSystem:
    """A benchmark system that plans one node per request and fails on requests containing 'fail'."""

    name, dependency = "echo", "temporal"
    excluded_ids: set[str] = set()

    def __init__(self):
        self.requests: list[str] = []

    async def predict(self, request, *, sample_id=None):
        self.requests.append(request)
        if "fail" in request:
            raise RuntimeError(f"cannot plan {request!r}")
        plan = {"task_steps": [request], "task_nodes": [{"task": "echo", "arguments": []}], "task_links": []}
        return plan, Usage(prompt_tokens=2, completion_tokens=1, calls=1)


async def test_run_samples_records_each_outcome_and_resumes(tmp_path):
    from agentkit.bench.run import Sample, run_samples

    samples = [Sample(id=f"s{i}", request=r, type="single", n_nodes=1, line="{}") for i, r in enumerate(["a", "please fail", "c"])]
    system = EchoSystem()
    assert await run_samples(system, samples, tmp_path) == (0, 2, 1)  # (skipped, done, failed)
    assert [p["id"] for p in read_jsonl(tmp_path / "predictions.jsonl")] == ["s0", "s2"]
    assert [(e["id"], e["error_type"]) for e in read_jsonl(tmp_path / "errors.jsonl")] == [("s1", "RuntimeError")]
    again = EchoSystem()
    assert await run_samples(again, samples, tmp_path) == (2, 0, 1)  # only the failed sample is tried again
    assert again.requests == ["please fail"]
    with pytest.raises(ConfigError, match="concurrency"):
        await run_samples(system, samples, tmp_path, concurrency=0)
