"""The one async protocol every chat model backend implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from .settings import DEFAULT_SETTINGS, GenerationSettings

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

    ``complete`` is the one method to implement; every sampling option comes in one
    :class:`GenerationSettings`. When ``json_schema`` is given the backend constrains
    decoding as far as it can; callers always validate afterwards (see
    :func:`agentkit.models.structured.generate_object`). With ``on_token`` the backend
    streams: it calls ``on_token(piece)`` for every piece of text as it is generated, and
    still returns the whole :class:`Completion` at the end.

    Backends declare what they can do as class (or instance) attributes, as simonw/llm and
    pydantic-ai do; :func:`capabilities` reads them, with ``False`` for any left out:

    - ``supports_streaming``: takes ``on_token`` (without it, callers get the text as one piece);
    - ``supports_json_schema``: constrains decoding by ``json_schema``;
    - ``enforces_json_schema``: the output is guaranteed to parse under ``json_schema``;
    - ``supports_seed``: ``settings.seed`` makes sampling reproducible.
    """

    name: str

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        settings: GenerationSettings = DEFAULT_SETTINGS,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion: ...


class Capabilities(BaseModel):
    """What a backend declares it can do (see :class:`ChatModel`)."""

    streaming: bool = False
    json_schema: bool = False
    enforces_json_schema: bool = False
    seed: bool = False


def capabilities(model: object) -> Capabilities:
    """The capabilities ``model`` declares; an attribute it leaves out counts as ``False``."""
    return Capabilities(
        streaming=bool(getattr(model, "supports_streaming", False)),
        json_schema=bool(getattr(model, "supports_json_schema", False)),
        enforces_json_schema=bool(getattr(model, "enforces_json_schema", False)),
        seed=bool(getattr(model, "supports_seed", False)),
    )


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


__all__ = [
    "Capabilities",
    "ChatModel",
    "Completion",
    "GenerationSettings",
    "Message",
    "TokenCallback",
    "Usage",
    "as_messages",
    "capabilities",
    "merge_system_messages",
]
