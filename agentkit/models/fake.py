"""Fake chat models for tests: scripted replies or a function. Public API, so users can test agents too."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ModelError, ModelSpecError
from .base import ChatModel, Completion, Message, TokenCallback, Usage, as_messages
from .settings import DEFAULT_SETTINGS, GenerationSettings

Reply = str | dict[str, Any] | list[Any]


def _text(reply: Reply) -> str:
    return reply if isinstance(reply, str) else json.dumps(reply)


def _stream_words(text: str, on_token: TokenCallback | None) -> None:
    """Fakes "stream" word by word (each piece keeps its leading whitespace), so pieces join to the text."""
    if on_token is not None:
        for piece in re.findall(r"\s*\S+|\s+$", text):
            on_token(piece)


class ScriptedModel:
    """Returns the given replies in order (dicts/lists are sent as JSON); errors when they run out."""

    supports_streaming = True  # word by word
    supports_json_schema = False
    enforces_json_schema = False

    def __init__(self, replies: Sequence[Reply], *, name: str = "fake:scripted"):
        self.name = name
        self._replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        settings: GenerationSettings = DEFAULT_SETTINGS,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        self.calls.append({"messages": list(messages), "json_schema": json_schema, "settings": settings})
        if not self._replies:
            raise ModelError(f"{self.name}: no scripted reply left (call {len(self.calls)})")
        text = _text(self._replies.pop(0))
        prompt_tokens = sum(len(m.content.split()) for m in as_messages(messages))
        _stream_words(text, on_token)
        return Completion(
            text=text,
            model=self.name,
            finish_reason="stop",
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=len(text.split()), calls=1),
        )


class FunctionModel:
    """Replies with ``fn(messages, json_schema)``: for fakes that depend on the prompt."""

    supports_streaming = True  # word by word
    supports_json_schema = False
    enforces_json_schema = False

    def __init__(self, fn: Callable[[list[Message], dict[str, Any] | None], Reply], *, name: str = "fake:function"):
        self.name = name
        self._fn = fn

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        settings: GenerationSettings = DEFAULT_SETTINGS,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        text = _text(self._fn(as_messages(messages), json_schema))
        prompt_tokens = sum(len(m.content.split()) for m in as_messages(messages))
        _stream_words(text, on_token)
        return Completion(
            text=text,
            model=self.name,
            finish_reason="stop",
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=len(text.split()), calls=1),
        )


_FAKES: dict[str, Callable[[], ChatModel]] = {}


def register_fake(name: str, factory: Callable[[], ChatModel]) -> None:
    """Make ``fake:NAME`` resolve to ``factory()`` (for tests and examples)."""
    _FAKES[name] = factory


def load_fake(name: str) -> ChatModel:
    """The fake registered as ``name`` (the ``fake`` backend's factory)."""
    if name not in _FAKES:
        raise ModelSpecError(f"no fake model registered as {name!r} (use agentkit.models.register_fake)")
    return _FAKES[name]()


__all__ = ["FunctionModel", "ScriptedModel", "load_fake", "register_fake"]
