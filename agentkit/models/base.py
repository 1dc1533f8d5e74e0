"""The one async protocol every chat model backend implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

Role = Literal["system", "user", "assistant"]

TokenCallback = Callable[[str], None]
"""Called with each piece of text as the model generates it (on the event loop's thread)."""


class Message(BaseModel):
    role: Role
    content: str


class Usage(BaseModel):
    """Token and latency accounting for one or more model calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    calls: int = 0
    estimated: bool = False
    """True when a server streamed without reporting usage and the counts were estimated."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            latency_s=self.latency_s + other.latency_s,
            calls=self.calls + other.calls,
            estimated=self.estimated or other.estimated,
        )

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Completion(BaseModel):
    """A model's reply: text, and for structured calls the validated object."""

    text: str
    usage: Usage = Field(default_factory=Usage)
    model: str = ""
    finish_reason: str | None = None
    parsed: Any = None


@runtime_checkable
class ChatModel(Protocol):
    """A chat model backend.

    ``complete`` is the one method to implement. When ``json_schema`` is given the
    backend constrains decoding as far as it can (``enforces_json_schema`` says whether
    the result is guaranteed to parse); callers always validate afterwards
    (see :func:`agentkit.models.structured.generate_object`). Sampling parameters
    follow the OpenAI API. With ``on_token`` the backend streams: it calls
    ``on_token(piece)`` for every piece of text as it is generated, and still returns
    the whole :class:`Completion` at the end.
    """

    name: str
    enforces_json_schema: bool

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        top_p: float = 1.0,
        presence_penalty: float = 0.0,
        frequency_penalty: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: list[str] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion: ...


def as_messages(messages: Sequence[Message | dict[str, str]] | str) -> list[Message]:
    """Accept a prompt string, dicts or Messages."""
    if isinstance(messages, str):
        return [Message(role="user", content=messages)]
    return [m if isinstance(m, Message) else Message.model_validate(m) for m in messages]


def merge_system_messages(messages: Sequence[Message]) -> list[Message]:
    """Fold system messages into the first user turn, for chat formats that drop them (Gemma)."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    rest = [m for m in messages if m.role != "system"]
    if not system:
        return rest
    if rest and rest[0].role == "user":
        return [Message(role="user", content=f"{system}\n\n{rest[0].content}"), *rest[1:]]
    return [Message(role="user", content=system), *rest]


__all__ = ["ChatModel", "Completion", "Message", "TokenCallback", "Usage", "as_messages", "merge_system_messages"]
