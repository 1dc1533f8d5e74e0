"""OpenTelemetry: a run's spans follow the GenAI conventions, and OTLP/HTTP export works from the environment."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from agentkit import Agent, Tool, ToolPrior, tool
from agentkit import telemetry
from agentkit.executor import ExecutionPolicy
from agentkit.testing import plan_model

ROOT = Path(__file__).parent.parent
CHAT_TOOLS = str(ROOT / "tests" / "fixtures" / "chat_tools.py")


@tool(cost=1.0, quality=0.9)
def flaky_ocr(image: str) -> str:
    """Read the text in an image (its engine is broken).

    Args:
        image: file name
    """
    raise RuntimeError("engine crashed")


backup_ocr = Tool(
    name="backup_ocr", description="Read the text in an image, slowly.", parameters=flaky_ocr.parameters,
    func=lambda image: f"text of {image}", subtask_priors={"flaky_ocr": ToolPrior(cost=5.0, quality=0.7)},
)  # fmt: skip


@tool(needs_approval=True)
def pay(amount: int) -> str:
    """Pay an amount.

    Args:
        amount: cents
    """
    return "paid"


def one_node(task: str, arguments: dict) -> dict:
    return {"task_steps": ["do it"], "task_nodes": [{"task": task, "arguments": arguments}], "task_links": []}


@pytest.fixture
def spans(monkeypatch):
    """An SDK provider with an in-memory exporter, as the application's global provider for this test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    yield exporter
    provider.shutdown()


def by_name(finished) -> dict[str, list]:
    out: dict[str, list] = {}
    for span in finished:
        out.setdefault(span.name, []).append(span)
    return out


async def test_a_run_with_a_failing_tool_gives_the_genai_span_tree(spans):
    agent = Agent(
        [flaky_ocr, backup_ocr], model=plan_model(one_node("flaky_ocr", {"image": "a.png"})), retriever=None,
        policy=ExecutionPolicy(retries=0),
    )  # fmt: skip
    result = await agent.run("read a.png", thread_id="thread-7")
    named = by_name(spans.get_finished_spans())

    (run,) = named["invoke_agent agentkit"]
    assert run.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert run.attributes["gen_ai.conversation.id"] == "thread-7"
    assert run.attributes["agentkit.run.status"] == result.status.value == "ok"
    assert run.parent is None

    children = [s for s in spans.get_finished_spans() if s is not run]
    assert all(s.parent.span_id == run.context.span_id for s in children)
    assert all(s.attributes["gen_ai.conversation.id"] == "thread-7" for s in children)
    assert named["retrieval"][0].attributes["gen_ai.operation.name"] == "retrieval"

    failed = named["execute_tool flaky_ocr"]  # tried, then once more with re-filled arguments (the caller retry)
    assert [s.attributes["agentkit.attempt"] for s in failed] == [1, 2]
    for span in failed:
        assert span.attributes["gen_ai.tool.name"] == "flaky_ocr" and span.attributes["error.type"] == "ToolExecutionError"
        assert span.status.status_code == StatusCode.ERROR and "engine crashed" in span.status.description
    (recovered,) = named["execute_tool backup_ocr"]
    assert recovered.status.status_code != StatusCode.ERROR and "error.type" not in recovered.attributes
    assert recovered.attributes["agentkit.attempt"] == 3 and result.nodes[0].output == "text of a.png"

    assert [e.name for e in run.events] == ["agentkit.tool_retry", "agentkit.tool_switch"]
    switch = run.events[1]
    assert switch.attributes["agentkit.tool.from"] == "flaky_ocr" and switch.attributes["agentkit.tool.to"] == "backup_ocr"
    assert switch.attributes["error.type"] == "ToolExecutionError"


async def test_chat_spans_carry_model_role_and_tokens_that_sum_to_the_run_usage(spans):
    agent = Agent(
        [flaky_ocr, backup_ocr], model=plan_model(one_node("flaky_ocr", {"image": "a.png"}), name="fake:ocr-planner"),
        retriever=None, policy=ExecutionPolicy(retries=0),
    )  # fmt: skip
    result = await agent.run("read a.png")
    chats = by_name(spans.get_finished_spans())["chat ocr-planner"]
    assert {s.attributes["agentkit.role"] for s in chats} == set(result.usage)
    assert all(s.attributes["gen_ai.request.model"] == "ocr-planner" and s.attributes["gen_ai.operation.name"] == "chat" for s in chats)
    for role, usage in result.usage.items():
        mine = [s for s in chats if s.attributes["agentkit.role"] == role]
        assert sum(s.attributes["gen_ai.usage.input_tokens"] for s in mine) == usage.prompt_tokens
        assert sum(s.attributes["gen_ai.usage.output_tokens"] for s in mine) == usage.completion_tokens
    (run,) = by_name(spans.get_finished_spans())["invoke_agent agentkit"]
    assert run.attributes["gen_ai.usage.input_tokens"] == result.total_usage.prompt_tokens > 0


async def test_approvals_are_span_events_on_the_run_and_its_resume(spans):
    agent = Agent([pay], model=plan_model(one_node("pay", {"amount": "5"})), retriever=None)
    await agent.run("pay 5 cents", thread_id="t-pay")
    await agent.resume("t-pay", approve=False)
    first, resumed = by_name(spans.get_finished_spans())["invoke_agent agentkit"]
    assert [e.name for e in first.events] == ["agentkit.approval_requested"]
    assert first.events[0].attributes["gen_ai.tool.name"] == "pay"
    assert resumed.attributes["agentkit.resumed"] is True and resumed.attributes["gen_ai.conversation.id"] == "t-pay"
    assert "agentkit.approval_rejected" in [e.name for e in resumed.events]


async def test_without_a_tracer_provider_the_stream_is_not_wrapped(monkeypatch):
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(telemetry, "_configured", True)  # as after a first look at an environment without OTLP

    async def events():
        yield 1

    stream = events()
    assert telemetry.instrument(stream, thread_id="t") is stream


class _Receiver(http.server.BaseHTTPRequestHandler):
    posts: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def otlp_receiver():
    """A real OTLP/HTTP endpoint on 127.0.0.1 that records what is posted to it."""
    _Receiver.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.posts
    server.shutdown()
    server.server_close()


def exported_spans(posts) -> list:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    found = []
    for path, content_type, body in posts:
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
            for scope_spans in resource_spans.scope_spans:
                found += [(service, scope_spans.scope.name, span) for span in scope_spans.spans]
    return found


def test_agentkit_run_exports_otlp_http_from_the_standard_environment(otlp_receiver):
    endpoint, posts = otlp_receiver
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
    env.pop("OTEL_SERVICE_NAME", None)
    agentkit = str(Path(sys.executable).parent / "agentkit")
    proc = subprocess.run(
        [agentkit, "run", "shout hello", "--tools", CHAT_TOOLS, "--model", "fake:chat", "--retriever", "bm25", "--thread-id", "cli-1"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = exported_spans(posts)
    names = {span.name for _, _, span in found}
    assert {"invoke_agent agentkit", "retrieval", "chat chat", "execute_tool shout"} <= names
    assert {(service, scope) for service, scope, _ in found} == {("agentkit", "agentkit")}
    run = next(span for _, _, span in found if span.name == "invoke_agent agentkit")
    attributes = {a.key: a.value for a in run.attributes}
    assert attributes["gen_ai.conversation.id"].string_value == "cli-1"


def test_an_application_with_its_own_provider_keeps_it(monkeypatch, otlp_receiver):
    endpoint, posts = otlp_receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    provider = TracerProvider()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    monkeypatch.setattr(telemetry, "_configured", False)
    assert telemetry.configure_from_env() is False
    assert trace.get_tracer_provider() is provider


def _tracing_example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("example_tracing", ROOT / "examples" / "tracing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fresh_global_provider(monkeypatch):
    """Let a script set the global tracer provider (allowed once per process), and undo it afterwards."""
    from opentelemetry.util._once import Once

    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)


PERCENT = {"task_steps": ["percentage"], "task_nodes": [{"task": "percentage_of", "arguments": {"percent": "15", "value": "240"}}], "task_links": []}


async def test_the_tracing_example_prints_the_span_tree(fresh_global_provider, capsys):
    tree = await _tracing_example().main("What is 15 percent of 240?", model=plan_model(PERCENT, answer="36"))
    lines = tree.splitlines()
    assert lines[0].startswith("invoke_agent agentkit") and "agentkit.run.status=ok" in lines[0]
    assert any(line.startswith("  execute_tool percentage_of") for line in lines)
    assert any(line.startswith("  chat planned") and "agentkit.role=summarizer" in line for line in lines)
    assert "answer: 36" in capsys.readouterr().out


@pytest.mark.slow
async def test_the_tracing_example_on_the_default_model(fresh_global_provider, gemma):
    from agentkit.planners import get_planner

    tree = await _tracing_example().main("Add 12 and 30.", model=gemma, top_k=4, strategy=get_planner("one-shot", max_nodes=2))
    assert tree.startswith("invoke_agent agentkit") and "chat default" in tree


async def test_the_taskbench_harness_traces_each_sample_it_plans(spans):
    from agentkit.bench.run import AgentkitSystem

    plan = {"task_steps": ["classify the image"], "task_nodes": [{"task": "Image Classification", "arguments": {"image": "photo.jpg"}}], "task_links": []}
    system = AgentkitSystem(ROOT / "tests" / "fixtures" / "taskbench_mini" / "resource", plan_model(plan), retriever="bm25")
    prediction, usage = await system.predict("What is in photo.jpg?", sample_id="r1")
    assert prediction["task_nodes"][0]["task"] == "Image Classification"
    named = by_name(spans.get_finished_spans())
    (run,) = named["invoke_agent agentkit"]
    assert run.attributes["gen_ai.conversation.id"] == "bench:r1" and run.attributes["agentkit.plan.nodes"] == 1
    (chat,) = named["chat planned"]
    assert chat.attributes["agentkit.role"] == "planner" and chat.attributes["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    assert "Image Classification" in named["retrieval"][0].attributes["agentkit.retrieval.tools"]


async def test_a_tracing_failure_never_breaks_the_run(spans, monkeypatch, caplog):
    def broken(self, event):
        raise RuntimeError("exporter on fire")

    monkeypatch.setattr(telemetry.RunTrace, "_model_called", broken)
    monkeypatch.setitem(telemetry.RunTrace._handlers, telemetry.ev.ModelCalled, broken)
    agent = Agent([flaky_ocr, backup_ocr], model=plan_model(one_node("backup_ocr", {"image": "b.png"})), retriever=None)
    result = await agent.run("read b.png")
    assert result.status.value == "ok" and result.nodes[0].output == "text of b.png"
    assert "tracing: could not record ModelCalled: RuntimeError: exporter on fire" in caplog.text
    assert by_name(spans.get_finished_spans())["invoke_agent agentkit"]  # the rest was recorded


def test_an_endpoint_without_the_sdk_or_with_an_unsupported_protocol_is_one_warning(monkeypatch, caplog):
    import sys

    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)  # as if not installed
    monkeypatch.setattr(telemetry, "_configured", False)
    assert telemetry.configure_from_env() is False and not telemetry.tracing_enabled()
    assert "opentelemetry.exporter.otlp.proto.http.trace_exporter is not installed: pip install 'agentkit[otel]'" in caplog.text

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    monkeypatch.setattr(telemetry, "_configured", False)
    assert telemetry.configure_from_env() is False
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported" in caplog.text
