"""The caller and summarizer roles, each bound to its own model."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from .errors import StructuredOutputError
from .grounding import (
    Evidence,
    invented_argument_values,
    plain_answer,
    states_a_result,
    successful_outputs,
    ungrounded,
    unused_request_values,
)
from .models import ChatModel, Message, TokenCallback, Usage, generate_object
from .planning import coerce_value
from .prompting import render
from .result import NodeResult, NodeStatus
from .tool import Tool


def _bounded(schema: dict[str, Any], max_chars: int) -> dict[str, Any]:
    """The tool's parameter schema with strings bounded (and no unbounded arrays) for small models."""
    props: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        if prop.get("type") == "string" and "enum" not in prop:
            prop["maxLength"] = min(prop.get("maxLength", max_chars), max_chars)
        if prop.get("type") == "array":
            prop.setdefault("maxItems", 8)
        props[name] = prop
    return {
        "type": "object",
        "properties": props,
        "required": [r for r in schema.get("required", []) if r in props],
        "additionalProperties": False,
        **{k: schema[k] for k in ("$defs", "definitions") if k in schema},  # what local $refs point to
    }


def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


class Caller:
    """Fills exact arguments for one node from the tool's docs, the request and upstream outputs (alpha-UMi's caller)."""

    def __init__(self, model: ChatModel, *, max_chars: int = 120, max_tokens: int = 200, examples: Any = None, k: int = 2):
        self.model = model
        self.max_chars = max_chars
        self.max_tokens = max_tokens
        self.examples = examples  # an ExampleBank: how the nearest solved requests filled the same tool
        self.k = k

    def demonstrations(self, tool: Tool, request: str) -> list[dict[str, str]]:
        """How the ``k`` nearest examples that call ``tool`` filled its arguments (request and values)."""
        if self.examples is None:
            return []
        shown = []
        for found in self.examples.nearest(request, self.k, tool=tool.name):
            for node in found.example.task_nodes:
                if node.task == tool.name:
                    shown.append({"request": found.example.request, "arguments": json.dumps(node.arguments, default=str, ensure_ascii=False)})
                    break
        return shown

    async def call_arguments(
        self,
        tool: Tool,
        *,
        request: str,
        step: str,
        planned: dict[str, Any],
        upstream: dict[str, Any],
        problems: str | None = None,
        fill: list[str] | None = None,
        on_token: TokenCallback | None = None,
    ) -> tuple[dict[str, Any], Usage]:
        """Arguments for ``tool`` (only the parameters in ``fill``, when given), validated against its schema."""
        parameters = tool.parameters
        if fill is not None:
            props = parameters.get("properties", {})
            parameters = {
                "type": "object",
                "properties": {k: props[k] for k in fill if k in props},
                "required": [r for r in tool.required if r in fill],
                **{k: parameters[k] for k in ("$defs", "definitions") if k in parameters},
            }
        prompt = render(
            "caller",
            tool=tool,
            params=parameters.get("properties", {}),
            required=parameters.get("required", []),
            request=request,
            step=step,
            planned=json.dumps(planned, default=str) if planned else "",
            upstream={k: short(v, 200) for k, v in upstream.items()},
            problems=problems or "",
            demos=(demos := self.demonstrations(tool, request)),
        )
        result = await generate_object(
            self.model, [Message(role="user", content=prompt)], _bounded(parameters, self.max_chars),
            max_tokens=self.max_tokens, on_token=on_token,
        )  # fmt: skip
        props = tool.parameters.get("properties", {})
        args = {k: coerce_value(v, props.get(k, {})) for k, v in result.parsed.items()}
        return _unlent(args, demos, request, upstream), result.usage


def _unlent(args: dict[str, Any], demos: list[dict[str, str]], request: str, upstream: dict[str, Any]) -> dict[str, Any]:
    """Arguments without the text values a demonstration lent (shown in its arguments, absent from the
    request and the upstream outputs): a small model copies them; the tool's validation then asks again."""
    if not demos:
        return args
    shown = " ".join(d["arguments"] for d in demos)
    seen = (request + " " + json.dumps(upstream, default=str)).casefold()
    return {k: v for k, v in args.items()
            if not (isinstance(v, str) and v.strip() and json.dumps(v)[1:-1] in shown and v.strip().casefold() not in seen)}  # fmt: skip


# maxLength below max_tokens (a token is at least one character): the answer always ends, even
# when a base model repeats a digit forever, instead of running out of tokens mid-string.
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "maxLength": 240}},
    "required": ["answer"],
    "additionalProperties": False,
}


class Summary(BaseModel):
    """The answer and how it was written: by the summarizer, or plainly from the outputs."""

    answer: str
    usage: Usage = Field(default_factory=Usage)
    grounded: bool = True  # False: the model's answer stated something no tool returned, so it was replaced
    ungrounded: list[str] = Field(default_factory=list)  # what the replaced answer stated without evidence
    by_model: bool = True


def _single_result(results: Sequence[NodeResult], sinks: Sequence[int] | None) -> NodeResult | None:
    """The one final step's result when it is a short scalar (a number, a word, a date)."""
    finals = [r for r in results if sinks is None or r.index in sinks]
    if len(finals) != 1 or finals[0].status != NodeStatus.OK:
        return None
    output = finals[0].output
    short_text = isinstance(output, str) and 0 < len(output) <= 200
    return finals[0] if short_text or (isinstance(output, int | float) and not isinstance(output, bool)) else None


class Summarizer:
    """Writes the final answer from the node results, and never states what no tool returned.

    No model is asked when nothing succeeded (the answer names the failed step and its
    error) or when the request is unsolvable. A model's answer whose numbers, dates or
    quoted values appear in no tool output and not in the request is replaced by the
    plain answer (:func:`agentkit.grounding.plain_answer`), with ``grounded=False``.
    """

    def __init__(self, model: ChatModel, *, max_tokens: int = 256, frequency_penalty: float = 0.3, output_chars: int = 300):
        self.model = model
        self.max_tokens = max_tokens
        self.frequency_penalty = frequency_penalty  # small models otherwise repeat a digit or a word
        self.output_chars = output_chars  # of each tool output shown to the model, as quoted data

    async def summarize(
        self, request: str, results: list[NodeResult], unsolvable: str | None, *, steps: Sequence[str] = (),
        on_token: TokenCallback | None = None, parameters: Mapping[str, Mapping[str, Any]] | None = None,
        sinks: Sequence[int] | None = None,
    ) -> Summary:  # fmt: skip
        """The answer; ``parameters`` (tool -> parameter schemas) and ``sinks`` (the final steps) sharpen its checks."""
        plain = plain_answer(results, unsolvable, steps)
        if unsolvable or not any(r.status == NodeStatus.OK for r in results):
            return Summary(answer=plain, by_model=False)
        prompt = render(
            "summarize",
            request=request,
            results=[
                {
                    "step": r.index + 1, "tool": r.tool, "status": r.status.value,
                    "data": json.dumps(short(r.output, self.output_chars), ensure_ascii=False),
                    "error": json.dumps(short(r.error or "", 200), ensure_ascii=False),
                }  # fmt: skip
                for r in results
            ],
        )
        # A bounded {"answer": ...} object: base models echo the prompt when asked for free text.
        try:
            result = await generate_object(
                self.model, [Message(role="user", content=prompt)], ANSWER_SCHEMA, max_tokens=self.max_tokens,
                on_token=on_token, frequency_penalty=self.frequency_penalty,
            )
        except StructuredOutputError as exc:  # the results are never lost to a bad summary
            plain = plain_answer(results, None, steps, unverified=True)
            return Summary(answer=plain, usage=exc.usage or Usage(), by_model=False)
        answer = result.parsed["answer"].strip()
        # Did the tools get what the user gave, and only that? If not, nothing built on them is vouched for.
        calls = [f"{v} (from the request, given to no tool)" for v in unused_request_values(request, results)]
        calls += [f"{v}: not from the request" for v in invented_argument_values(request, results, parameters)]
        wording = ungrounded(answer, Evidence(request, successful_outputs(results)))
        if not states_a_result(answer, results, sinks):
            wording.append("no result of the final step is stated")
        if not calls and not wording and answer:
            return Summary(answer=answer, usage=result.usage)
        single = _single_result(results, sinks)
        if not calls and single is not None:  # sound calls, one short result: state it without the model's words
            return Summary(answer=plain_answer([single], None, steps), usage=result.usage, ungrounded=wording, by_model=False)
        plain = plain_answer(results, None, steps, unverified=True)
        return Summary(answer=plain, usage=result.usage, grounded=False, ungrounded=calls + wording, by_model=False)




__all__ = ["Caller", "Summarizer", "Summary"]
