"""Typed final output: the run's answer as the user's pydantic model (or JSON Schema), filled from tool results only.

``Agent(..., output_type=Model)`` makes the summarizer decode under the user's schema:

* bounded for llama.cpp and other local servers (strings get a ``maxLength``, arrays a
  ``maxItems``, so a small model's output always ends); the schema exactly as given where
  an OpenAI ``json_schema`` server can enforce it strictly;
* then validated against the user's schema (and model, with its validators) and checked
  against the grounding rule: every number, date and quoted value, and every one-word
  string, must appear in a successful tool output or in the request;
* anything wrong is shown to the model once (one repair round); still wrong, the run has
  no ``output`` and says why in ``output_error`` (the plain answer stays).

A schema that cannot be turned into a llama.cpp grammar is a ``ConfigError`` when the
:class:`OutputSpec` (the Agent) is built, not in the middle of a run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import jsonschema
from pydantic import BaseModel, Field, ValidationError

from .errors import ConfigError, ModelError
from .models import ChatModel, Message, TokenCallback, Usage
from .models.grammar import schema_to_gbnf
from .models.settings import GenerationSettings
from .models.structured import complete, parse_json_object
from .prompting import render
from .result import NodeResult, NodeStatus
from .toolschema import NO_RETRIEVAL

# Bounds for local decoding: a base model that repeats a digit still ends inside the budget.
MAX_CHARS = 200
MAX_ITEMS = 8


class TypedOutcome(BaseModel):
    """What the summarizer produced under the user's schema: ``output`` (JSON data) or why there is none."""

    output: Any = None
    answer: str = ""
    usage: Usage = Field(default_factory=Usage)
    problems: list[str] = Field(default_factory=list)


def bounded(schema: dict[str, Any], *, max_chars: int = MAX_CHARS, max_items: int = MAX_ITEMS) -> dict[str, Any]:
    """``schema`` with every free string bounded by ``maxLength`` and every array by ``maxItems`` (a copy)."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if "string" in types and "enum" not in node and "const" not in node:
            node["maxLength"] = min(node.get("maxLength", max_chars), max_chars)
        if "array" in types:
            node["maxItems"] = min(node.get("maxItems", max_items), max_items)
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions", "patternProperties"):
                for child in value.values() if isinstance(value, dict) else ():
                    walk(child)
            elif key in ("items", "prefixItems", "anyOf", "oneOf", "allOf", "additionalProperties", "not"):
                walk(value)

    walk(out)
    return out


def _strict_fits(model: ChatModel, schema: dict[str, Any]) -> bool:
    """Whether ``model`` enforces JSON Schema server-side in OpenAI's strict mode for ``schema`` as given."""
    if getattr(model, "structured", None) != "json_schema":
        return False
    from .models.openai_compatible import strict_compatible

    return strict_compatible(schema)


class OutputSpec:
    """The user's output type: a pydantic model class or a JSON Schema (``dict``), checked once when built."""

    def __init__(self, target: type[BaseModel] | dict[str, Any], *, max_tokens: int = 768):
        if isinstance(target, type) and issubclass(target, BaseModel):
            self.model: type[BaseModel] | None = target
            self.schema = target.model_json_schema()
            self.name = target.__name__
        elif isinstance(target, dict):
            try:
                jsonschema.Draft202012Validator.check_schema(target)
            except jsonschema.SchemaError as exc:
                raise ConfigError(f"output schema: not a valid JSON Schema: {exc.message}") from None
            self.model, self.schema, self.name = None, target, str(target.get("title", "output"))
        else:
            raise ConfigError(f"output_type must be a pydantic model class or a JSON Schema dict, got {type(target).__name__}")
        self.bounded = bounded(self.schema)
        schema_to_gbnf(self.bounded)  # GrammarConversionError (a ConfigError): this schema cannot be decoded locally
        self.max_tokens = max_tokens
        self._validator = jsonschema.Draft202012Validator(self.schema, registry=NO_RETRIEVAL)  # never fetches a $ref

    def parse(self, data: Any) -> Any:
        """The typed value of checked JSON ``data``: a model instance, or the data itself for a JSON Schema."""
        return self.model.model_validate(data) if self.model is not None and data is not None else data

    def problems(self, data: Any) -> list[str]:
        """Where ``data`` breaks the user's schema (or model validators)."""
        found = [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(self._validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        ]
        if not found and self.model is not None:
            try:
                self.model.model_validate(data)
            except ValidationError as exc:
                found = [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()]
        return found

    async def produce(
        self, model: ChatModel, request: str, results: Sequence[NodeResult], unsolvable: str | None = None,
        *, on_token: TokenCallback | None = None,
    ) -> TypedOutcome:  # fmt: skip
        """Decode the output from the results: validate, check grounding, repair once."""
        from .grounding import Evidence

        evidence = Evidence(request, [r.output for r in results if r.status == NodeStatus.OK])
        schema = self.schema if _strict_fits(model, self.schema) else self.bounded
        prompt = render(
            "typed_output", request=request, unsolvable=unsolvable or "", schema=json.dumps(self.schema, ensure_ascii=False),
            results=[{"index": r.index, "tool": r.tool, "status": r.status.value, "output": _shown(r.output), "error": r.error}
                     for r in results],
        )  # fmt: skip
        history = [Message(role="user", content=prompt)]
        usage, problems = Usage(), list[str]()
        for _ in range(2):
            try:
                completion = await complete(
                    model, history, settings=GenerationSettings(max_tokens=self.max_tokens), json_schema=schema, on_token=on_token
                )
            except ModelError as exc:
                return TypedOutcome(usage=usage, problems=[f"the model failed: {exc}"])
            usage = usage + completion.usage
            data, problems = self._checked(completion.text, schema, evidence)
            if not problems:
                return TypedOutcome(output=data, answer=json.dumps(data, ensure_ascii=False), usage=usage)
            history += [
                Message(role="assistant", content=completion.text),
                Message(role="user", content=render("typed_output_repair", problems=problems)),
            ]
        return TypedOutcome(usage=usage, problems=problems)

    async def summary(
        self, model: ChatModel, request: str, results: Sequence[NodeResult], unsolvable: str | None,
        steps: Sequence[str] = (), *, on_token: TokenCallback | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The summarize stage under this output type: the summary's keys, plus ``output`` and ``output_error``.

        Without a successful tool result (nothing ran, or the request is unsolvable) there is
        nothing to fill the output from, so no model is asked. The answer is the output as
        JSON text, or, without an output, the plain listing of what the steps returned.
        """
        from .grounding import plain_answer

        empty = {"usage": Usage().model_dump(), "grounded": True, "ungrounded": [], "by_model": False, "output": None}
        if unsolvable or not any(r.status == NodeStatus.OK for r in results):
            why = f"not possible with the available tools: {unsolvable}" if unsolvable else "no tool returned a result"
            return {**empty, "answer": plain_answer(results, unsolvable, steps), "output_error": f"no output: {why}"}
        outcome = await self.produce(model, request, results, on_token=on_token)
        if outcome.output is None:
            return {
                **empty, "answer": plain_answer(results, None, steps), "usage": outcome.usage.model_dump(),
                "output_error": "no output matching the schema from the tool results: " + "; ".join(outcome.problems[:5]),
            }  # fmt: skip
        return {**empty, "answer": outcome.answer, "usage": outcome.usage.model_dump(), "by_model": True,
                "output": outcome.output, "output_error": None}  # fmt: skip

    def _checked(self, text: str, schema: dict[str, Any], evidence: Any) -> tuple[Any, list[str]]:
        try:
            data = parse_json_object(text)
        except json.JSONDecodeError as exc:
            return None, [f"not JSON: {exc.msg} at position {exc.pos}"]
        problems = [] if schema is self.schema else _schema_problems(schema, data)
        problems = problems or self.problems(data)
        if problems:
            return None, problems
        return data, [
            f"{where}: {value} appears in no tool result and not in the request: use only values the results show"
            for where, value in ungrounded_leaves(data, self.schema, evidence)
        ]


def _schema_problems(schema: dict[str, Any], data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, registry=NO_RETRIEVAL)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(data)]


def _shown(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + " [...]"


def _resolve(schema: dict[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with a local ``$ref`` (``#/$defs/X``) followed, once."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return node if isinstance(node, dict) else {}


def _choices(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    """Whether the schema itself fixes the value here (enum/const, also behind anyOf), so it states no fact."""
    if "enum" in node or "const" in node:
        return True
    options = node.get("anyOf") or node.get("oneOf") or []
    return bool(options) and all(_choices(schema, _resolve(schema, o)) or _resolve(schema, o).get("type") == "null" for o in options)


def ungrounded_leaves(data: Any, schema: dict[str, Any], evidence: Any) -> list[tuple[str, str]]:
    """(path, value) of every leaf the evidence does not hold.

    Numbers must appear among the evidence's figures (a rounding counts); strings are held
    to the answer rule (their numbers, dates and quoted values), and a one-word string must
    appear itself (a name, an id, a date). Booleans, nulls and values the schema fixes
    (enum, const) state nothing of their own.
    """
    from .grounding import ungrounded

    found: list[tuple[str, str]] = []

    def visit(value: Any, node: dict[str, Any], path: str) -> None:
        node = _resolve(schema, node)
        if _choices(schema, node):
            return
        if isinstance(value, dict):
            props = node.get("properties", {})
            extra = node.get("additionalProperties") if isinstance(node.get("additionalProperties"), dict) else {}
            for key, item in value.items():
                visit(item, props.get(key, extra), f"{path}/{key}")
        elif isinstance(value, list):
            items: dict[str, Any] = node["items"] if isinstance(node.get("items"), dict) else {}
            for i, item in enumerate(value):
                visit(item, items, f"{path}/{i}")
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int | float):
            text = repr(value) if isinstance(value, float) else str(value)
            decimals = len(text.split(".", 1)[1]) if "." in text and "e" not in text else 0
            if not evidence.has_number(float(value), decimals):
                found.append((path or "<root>", text))
        elif isinstance(value, str):
            if value.strip() and len(value.split()) == 1 and not evidence.has_text(value):
                found.append((path or "<root>", repr(value)))
            else:
                found.extend((path or "<root>", bad) for bad in ungrounded(value, evidence))

    visit(data, schema, "")
    return found


OutputType = type[BaseModel] | dict[str, Any]

__all__ = ["OutputSpec", "OutputType", "TypedOutcome", "bounded", "ungrounded_leaves"]
