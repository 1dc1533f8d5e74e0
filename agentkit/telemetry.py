"""OpenTelemetry traces of runs, made from the typed event stream (GenAI semantic conventions).

Nothing below the Agent knows OpenTelemetry: the Agent passes its event stream through
:func:`instrument`, which turns the events into spans::

    invoke_agent                       one per run or resume; gen_ai.conversation.id = thread id
    ├── retrieval                      the retriever's ranking of the pool
    ├── chat {model}                   one per model call (planner, caller, summarizer): tokens, role
    ├── execute_tool {tool}            one per tool attempt: gen_ai.tool.name, error.type on failure
    └── ...                            events on invoke_agent: agentkit.tool_switch (A* recovery),
                                       agentkit.tool_retry (the same tool, arguments re-filled),
                                       agentkit.approval_requested / agentkit.approval_rejected

The core depends on ``opentelemetry-api`` only. Without a tracer provider the stream is
returned untouched, so tracing off costs one check per run. With the ``otel`` extra
installed and ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) set, the first
run sets up an SDK provider exporting OTLP/HTTP, unless the application has set a
provider of its own (then that one is used, as is).

Spans are made when the events arrive, so their times are the events' arrival times;
model calls start ``usage.latency_s`` before their ``ModelCalled`` event.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from . import events as ev
from .result import NodeStatus, RunResult, RunStatus

log = logging.getLogger(__name__)

TRACER_NAME = "agentkit"
_PROTOCOLS = ("http/protobuf", "grpc")
_configured = False


def _env(*names: str) -> str:
    return next((os.environ[n].strip() for n in names if os.environ.get(n, "").strip()), "")


def configure_from_env() -> bool:
    """Set up an SDK tracer provider exporting OTLP from the standard ``OTEL_*`` variables, once.

    Only when an OTLP endpoint is set, the SDK is not disabled, and no provider was set by
    the application. Returns whether this call installed a provider. A missing SDK or an
    unsupported protocol is one warning, never an error: the run goes on untraced.
    """
    global _configured
    if _configured:
        return False
    _configured = True
    if not _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    if _env("OTEL_SDK_DISABLED").lower() == "true" or _env("OTEL_TRACES_EXPORTER").lower() == "none":
        return False
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return False  # the application's own provider
    protocol = _env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    if protocol not in _PROTOCOLS:
        log.warning("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported: use http/protobuf; runs are not traced", protocol)
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # type: ignore[import-not-found]
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        log.warning("an OTLP endpoint is set but %s is not installed: pip install 'agentkit[otel]'; runs are not traced", exc.name)
        return False
    named = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    provider = TracerProvider(resource=Resource.create({} if named else {"service.name": "agentkit"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)  # flushed and shut down at interpreter exit by the SDK
    return True


def tracing_enabled() -> bool:
    """Whether runs make spans now: some real tracer provider is set (by the application or the environment)."""
    configure_from_env()
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def instrument(events: AsyncIterator[Any], *, thread_id: str, request: str | None = None) -> AsyncIterator[Any]:
    """``events`` traced when tracing is on, else ``events`` itself (no cost)."""
    if not tracing_enabled():
        return events
    return _traced(events, RunTrace(thread_id, request))


@contextmanager
def recording(thread_id: str, request: str | None = None) -> Iterator[Callable[[Any], None]]:
    """For faces that run stages themselves (the TaskBench harness plans without executing): events
    fed to the yielded callable become one run's spans, ended on exit. A no-op when tracing is off."""
    if not tracing_enabled():
        yield lambda event: None
        return
    run = RunTrace(thread_id, request)
    error: BaseException | None = None
    try:
        yield run.see
    except BaseException as exc:
        error = exc
        raise
    finally:
        run.end(error)


async def _traced(events: AsyncIterator[Any], run: RunTrace) -> AsyncIterator[Any]:
    """Yields ``events``, feeding each to ``run``; the run span is current while the run works.

    The span is attached around each step of the inner stream only (never across a
    ``yield``), so work started by the run, e.g. an instrumented HTTP client, nests under it.
    """
    error: BaseException | None = None
    try:
        while True:
            token = otel_context.attach(run.context)
            try:
                event = await anext(events)
            except StopAsyncIteration:
                break
            finally:
                otel_context.detach(token)
            _safely(run.see, event)
            yield event
    except BaseException as exc:
        error = exc
        raise
    finally:
        _safely(run.end, error)
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()


def _safely(step: Callable[[Any], None], value: Any) -> None:
    """Tracing never breaks a run: a failure to record is one warning."""
    try:
        step(value)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK or an exporter raises
        log.warning("tracing: could not record %s: %s: %s", type(value).__name__, type(exc).__name__, exc)


def _model_parts(name: str) -> tuple[str, str, dict[str, Any]]:
    """(provider, model, server attributes) of a model spec name: ``openai:gpt-4o-mini@http://host:8000/v1``."""
    provider, _, rest = name.partition(":")
    if not rest:
        return "agentkit", name, {}
    model, _, url = rest.partition("@")
    server: dict[str, Any] = {}
    if url:
        parsed = urlparse(url)
        if parsed.hostname:
            server["server.address"] = parsed.hostname
        if parsed.port:
            server["server.port"] = parsed.port
    if provider == "llamacpp":
        provider, model = "llama.cpp", os.path.basename(model) or model
    return provider, model, server


class RunTrace:
    """The spans of one run, built from its events as they arrive."""

    def __init__(self, thread_id: str, request: str | None):
        from . import __version__

        self.tracer = trace.get_tracer(TRACER_NAME, __version__)
        self.common = {"gen_ai.conversation.id": thread_id}
        attributes: dict[str, Any] = {**self.common, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "agentkit"}
        if request is None:
            attributes["agentkit.resumed"] = True
        self.span = self.tracer.start_span("invoke_agent agentkit", kind=SpanKind.INTERNAL, attributes=attributes)
        self.context = trace.set_span_in_context(self.span)
        self.mark = time.time_ns()  # where the next stage began: the run's start, then each stage's end
        self.attempts: dict[int, Span] = {}
        self.tries: dict[int, int] = {}
        self.result: RunResult | None = None

    def _child(self, name: str, attributes: dict[str, Any], *, start: int | None = None, kind: SpanKind = SpanKind.INTERNAL) -> Span:
        return self.tracer.start_span(
            name, context=self.context, kind=kind, attributes={**self.common, **attributes}, start_time=start
        )

    def see(self, event: Any) -> None:
        """One event: a span, a span's end, or a span event."""
        if isinstance(event, ev.TokenGenerated):
            return  # the hot path: pieces of text have no span of their own
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, event)

    def _retrieved(self, event: ev.Retrieved) -> None:
        now = time.time_ns()
        attributes = {"gen_ai.operation.name": "retrieval", "agentkit.retrieval.tools": [t.name for t in event.tools]}
        if event.note:
            attributes["agentkit.retrieval.note"] = event.note
        self._child("retrieval", attributes, start=self.mark).end(end_time=now)
        self.mark = now

    def _planned(self, event: ev.Planned) -> None:
        self.span.set_attributes({"agentkit.plan.nodes": len(event.plan.task_nodes), "agentkit.plan.attempts": event.attempts})

    def _path_chosen(self, event: ev.PathChosen) -> None:
        self.span.set_attribute("agentkit.path.tools", [s.tool for s in event.path.steps])

    def _model_called(self, event: ev.ModelCalled) -> None:
        end = time.time_ns()
        provider, model, server = _model_parts(event.model)
        usage = event.usage
        span = self._child(
            f"chat {model}",
            {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": usage.prompt_tokens, "gen_ai.usage.output_tokens": usage.completion_tokens,
                "agentkit.role": event.role, "agentkit.model_calls": usage.calls, "agentkit.usage.estimated": usage.estimated,
                **server,
            },
            start=end - int(usage.latency_s * 1e9),
            kind=SpanKind.CLIENT,
        )  # fmt: skip
        span.end(end_time=end)

    def _attempt(self, index: int, tool: str, start: int | None = None) -> Span:
        self.tries[index] = self.tries.get(index, 0) + 1
        return self._child(
            f"execute_tool {tool}",
            {
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.type": "function",
                "gen_ai.tool.call.id": f"{self.common['gen_ai.conversation.id']}:{index}:{self.tries[index]}",
                "agentkit.node.index": index, "agentkit.attempt": self.tries[index],
            },
            start=start,
        )  # fmt: skip

    def _node_started(self, event: ev.NodeStarted) -> None:
        stale = self.attempts.pop(event.index, None)
        if stale is not None:
            stale.end()
        self.attempts[event.index] = self._attempt(event.index, event.tool)

    def _node_failed(self, event: ev.NodeFailed) -> None:
        span = self.attempts.pop(event.index, None)
        if span is None:  # failed before the call (its arguments): an attempt all the same
            latency = getattr(event, "latency_s", None)
            span = self._attempt(event.index, event.tool, start=time.time_ns() - int(latency * 1e9) if latency else None)
        error_type = getattr(event, "error_type", None) or "ToolError"
        span.set_attribute("error.type", error_type)
        if event.next_tool:
            span.set_attribute("agentkit.next_tool", event.next_tool)
        span.set_status(Status(StatusCode.ERROR, event.error[:500]))
        span.end()
        if event.next_tool:  # the same tool again: its arguments re-filled from the error; another: the A* switch
            self.span.add_event(
                "agentkit.tool_switch" if event.next_tool != event.tool else "agentkit.tool_retry",
                {"agentkit.node.index": event.index, "agentkit.tool.from": event.tool, "agentkit.tool.to": event.next_tool, "error.type": error_type},
            )  # fmt: skip

    def _node_finished(self, event: ev.NodeFinished) -> None:
        result = event.result
        span = self.attempts.pop(result.index, None)
        if span is not None:
            if result.status != NodeStatus.OK:
                span.set_attribute("error.type", result.error_type or result.status.value)
                span.set_status(Status(StatusCode.ERROR, (result.error or result.status.value)[:500]))
            span.end()
        if result.status == NodeStatus.REJECTED:
            self.span.add_event("agentkit.approval_rejected", {"agentkit.node.index": result.index, "gen_ai.tool.name": result.tool})

    def _approval_requested(self, event: ev.ApprovalRequested) -> None:
        self.span.add_event("agentkit.approval_requested", {"agentkit.node.index": event.index, "gen_ai.tool.name": event.tool})

    def _finished(self, event: ev.Finished) -> None:
        self.result = event.result

    _handlers: dict[type, Any] = {
        ev.Retrieved: _retrieved,
        ev.Planned: _planned,
        ev.PathChosen: _path_chosen,
        ev.ModelCalled: _model_called,
        ev.NodeStarted: _node_started,
        ev.NodeFailed: _node_failed,
        ev.NodeFinished: _node_finished,
        ev.ApprovalRequested: _approval_requested,
        ev.Finished: _finished,
    }

    def end(self, error: BaseException | None = None) -> None:
        """Close what is open; the run span gets the status, totals, and the error if the run raised."""
        for span in self.attempts.values():
            span.end()
        self.attempts.clear()
        if self.result is not None:
            total = self.result.total_usage
            self.span.set_attributes(
                {
                    "agentkit.run.status": self.result.status.value,
                    "gen_ai.usage.input_tokens": total.prompt_tokens,
                    "gen_ai.usage.output_tokens": total.completion_tokens,
                }
            )
            if self.result.status == RunStatus.FAILED:
                self.span.set_attribute("error.type", "RunFailed")
                self.span.set_status(Status(StatusCode.ERROR, (self.result.error or "the run failed")[:500]))
        if error is not None and not isinstance(error, GeneratorExit):
            self.span.set_attribute("error.type", type(error).__name__)
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, str(error)[:500]))
        self.span.end()


__all__ = ["RunTrace", "configure_from_env", "instrument", "recording", "tracing_enabled"]
