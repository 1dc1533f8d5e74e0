"""Schema-validated objects from any chat model: constrain, parse, validate, repair once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import jsonschema
from pydantic import BaseModel, ValidationError

from ..errors import StructuredOutputError
from ..toolschema import NO_RETRIEVAL
from .base import ChatModel, Completion, Message, TokenCallback, Usage, as_messages, capabilities
from .context import fit_messages
from .settings import DEFAULT_SETTINGS, GenerationSettings

T = TypeVar("T", bound=BaseModel)


async def complete(
    model: ChatModel,
    messages: Sequence[Message | dict[str, str]],
    *,
    settings: GenerationSettings = DEFAULT_SETTINGS,
    json_schema: dict[str, Any] | None = None,
    on_token: TokenCallback | None = None,
) -> Completion:
    """``model.complete``, streaming only to backends that declare ``supports_streaming``.

    Others are called without ``on_token``, which then gets the whole text as one piece,
    so a caller that streams works with every backend.
    """
    n_ctx = getattr(model, "n_ctx", None)
    if isinstance(n_ctx, int) and n_ctx > 0:
        messages = fit_messages(as_messages(messages), n_ctx=n_ctx, max_tokens=settings.max_tokens)
    if on_token is None or capabilities(model).streaming:
        return await model.complete(messages, settings=settings, json_schema=json_schema, on_token=on_token)
    completion = await model.complete(messages, settings=settings, json_schema=json_schema)
    if completion.text:
        on_token(completion.text)
    return completion


def repair_prompt(problems: Sequence[str]) -> str:
    """The repair round's message: every problem, then the request to answer again.

    Written here rather than as a planner-style template: the models layer knows no prompts of the layers above it.
    """
    listed = "".join(f"- {p}\n" for p in problems)
    return f"Your reply was not valid JSON for the required schema. Problems:\n{listed}Reply again with only the corrected JSON object."


def schema_of(target: dict[str, Any] | type[BaseModel]) -> dict[str, Any]:
    if isinstance(target, dict):
        return target
    return target.model_json_schema()


def parse_json_object(text: str) -> Any:
    """Parse ``text`` as JSON; fall back to the span from the first '{' to the last '}'."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start == -1 or end <= start:
            raise
        return json.loads(text[start : end + 1])


def check(text: str, schema: dict[str, Any], target: dict[str, Any] | type[BaseModel]) -> tuple[Any, list[str]]:
    """The parsed (and for pydantic targets, validated) object, or the list of problems."""
    try:
        data = parse_json_object(text)
    except json.JSONDecodeError as exc:
        return None, [f"not JSON: {exc.msg} at position {exc.pos}"]
    validator = jsonschema.Draft202012Validator(schema, registry=NO_RETRIEVAL)  # never fetches a $ref
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return None, problems
    if isinstance(target, type) and issubclass(target, BaseModel):
        try:
            return target.model_validate(data), []
        except ValidationError as exc:
            return None, [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()]
    return data, []


async def generate_object(
    model: ChatModel,
    messages: Sequence[Message | dict[str, str]] | str,
    target: dict[str, Any] | type[BaseModel],
    *,
    settings: GenerationSettings | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    frequency_penalty: float | None = None,
    repair: bool = True,
    on_token: TokenCallback | None = None,
) -> Completion:
    """Ask ``model`` for an object matching ``target`` (a JSON Schema or a pydantic model).

    The result's ``parsed`` is the validated object (a pydantic instance for model
    targets). One repair round shows the model its validation errors; output still
    invalid after that raises :class:`StructuredOutputError` with every problem.
    ``settings`` (default: greedy, 512 tokens) is how to sample; ``max_tokens``,
    ``temperature`` and ``frequency_penalty`` are shorthands that override it.
    ``on_token`` streams the raw JSON text of every attempt as it is generated.
    """
    schema = schema_of(target)
    history = as_messages(messages)
    settings = (settings or DEFAULT_SETTINGS).merged(
        max_tokens=max_tokens, temperature=temperature, frequency_penalty=frequency_penalty
    )
    usage = Usage()
    rounds = 2 if repair else 1
    completion: Completion | None = None
    problems: list[str] = []
    for _ in range(rounds):
        completion = await complete(model, history, settings=settings, json_schema=schema, on_token=on_token)
        usage = usage + completion.usage
        parsed, problems = check(completion.text, schema, target)
        if not problems:
            return completion.model_copy(update={"parsed": parsed, "usage": usage})
        history = [
            *history,
            Message(role="assistant", content=completion.text),
            Message(role="user", content=repair_prompt(problems)),
        ]
    assert completion is not None
    raise StructuredOutputError(
        f"{model.name}: output does not match the schema after {rounds} attempt(s): " + "; ".join(problems[:5]),
        raw=completion.text,
        problems=problems,
        usage=usage,
    )


__all__ = ["complete", "generate_object", "parse_json_object", "schema_of"]
