"""Trace a run with OpenTelemetry and print its span tree (needs `pip install 'agentkit[otel]'`).

The Agent makes spans from its event stream following the GenAI semantic conventions:
`invoke_agent agentkit` per run, `retrieval`, `chat {model}` per model call (tokens, role),
`execute_tool {tool}` per tool attempt (error.type on failure); A* tool switches and
approvals are events on the run span. This script sets up its own tracer provider (an
application would do the same once at start-up), keeps the spans in memory to print them,
and also exports them by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set:

    python examples/tracing.py "What is 15 percent of 240?"
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 python examples/tracing.py "..."   # e.g. Jaeger, Phoenix

Without a provider of its own, `agentkit run` (and any Agent) exports from the same
environment variables by itself: `OTEL_EXPORTER_OTLP_ENDPOINT=... agentkit run "..."`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentkit import Agent

SHOWN = ("gen_ai.request.model", "agentkit.role", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
         "gen_ai.tool.name", "error.type", "gen_ai.conversation.id", "agentkit.run.status")  # fmt: skip


def setup_tracing() -> InMemorySpanExporter:
    """The application's tracer provider: spans kept in memory, and sent by OTLP/HTTP if an endpoint is set."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "agentkit-example"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return memory


def span_tree(spans: list[ReadableSpan]) -> str:
    """The spans as an indented tree, children in start order, with their main attributes and events."""
    children: dict[Any, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        children.setdefault(span.parent.span_id if span.parent else None, []).append(span)
    lines: list[str] = []

    def show(span: ReadableSpan, depth: int) -> None:
        took = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        attributes = ", ".join(f"{k}={span.attributes[k]}" for k in SHOWN if k in (span.attributes or {}))
        lines.append(f"{'  ' * depth}{span.name}  {took:.1f} ms  {attributes}")
        for event in span.events:
            lines.append(f"{'  ' * (depth + 1)}* {event.name} {dict(event.attributes or {})}")
        for child in children.get(span.context.span_id, []):
            show(child, depth + 1)

    for root in children.get(None, []):
        show(root, 0)
    return "\n".join(lines)


async def main(request: str, model: Any = "llamacpp:default", **agent_options: Any) -> str:
    from agentkit.tools import load_pack

    memory = setup_tracing()
    agent = Agent(load_pack("math"), model=model, retriever="bm25", **agent_options)
    result = await agent.run(request)
    tree = span_tree(list(memory.get_finished_spans()))
    print(tree)
    print(f"\nanswer: {result.answer}")
    trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    return tree


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("request", nargs="?", default="What is 15 percent of 240?")
    parser.add_argument("--model", default="llamacpp:default", help="model spec for every role")
    args = parser.parse_args()
    asyncio.run(main(args.request, args.model))
