"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp's servers) via the official client."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlparse

import openai

from ..errors import ConfigError, ModelError
from .base import Completion, Message, TokenCallback, Usage, as_messages
from .patterns import for_llama_grammar
from .settings import DEFAULT_SETTINGS, GenerationSettings

StructuredMode = Literal["auto", "json_schema", "json_object", "none"]
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
# The JSON Schema subset OpenAI's strict mode accepts (conservatively: no length bounds, no tuples).
_STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf",
    "description", "title", "pattern", "format", "minItems", "maxItems", "minimum", "maximum", "$defs", "$ref",
}  # fmt: skip


def strict_compatible(schema: Any) -> bool:
    """Whether ``schema`` fits OpenAI's strict Structured Outputs: closed objects, every property required."""
    if isinstance(schema, list):
        return all(strict_compatible(s) for s in schema)
    if not isinstance(schema, dict):
        return True
    if set(schema) - _STRICT_KEYWORDS:
        return False
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if schema.get("additionalProperties", True) is not False or set(schema.get("required", [])) != set(props):
            return False
    children = [*schema.get("properties", {}).values(), *schema.get("$defs", {}).values(), *schema.get("anyOf", [])]
    if isinstance(schema.get("items"), dict):
        children.append(schema["items"])
    return all(strict_compatible(c) for c in children)


class OpenAICompatibleModel:
    """Chat completions against ``base_url``.

    Structured output: ``json_schema`` response format where the server enforces it
    (OpenAI, vLLM), with ``strict: true`` when the schema fits OpenAI's strict subset (a
    server that refuses strict mode with HTTP 400 is asked again without it, and from then
    on); llama.cpp servers only enforce ``{"type": "json_object", "schema": ...}``, so
    ``structured="auto"`` uses that form for local hosts (pass ``structured=`` for a remote
    llama.cpp server or a local vLLM). Results are always validated by the caller (see
    ``generate_object``), which repairs once.

    Retries with exponential backoff on 408/409/429/5xx and connection errors come from
    the official client (``max_retries``). The API key is read from ``api_key_env`` and
    is never logged or put in error messages.
    """

    supports_streaming = True
    supports_seed = True

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 3,
        structured: StructuredMode = "auto",
        http_client: Any = None,
    ):
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        host = urlparse(base_url).hostname if base_url else None
        local = host in _LOCAL_HOSTS
        api_key = os.environ.get(api_key_env)
        if not api_key:
            if not local and base_url is None:
                raise ConfigError(f"openai:{model} needs an API key in ${api_key_env} (or a local base URL: openai:{model}@http://127.0.0.1:PORT/v1)")
            api_key = "no-key"  # local servers accept any key
        self.model = model
        self.base_url = base_url
        self.name = f"openai:{model}" + (f"@{base_url}" if base_url else "")
        if structured == "auto":
            structured = "json_object" if local else "json_schema"
        self.structured: StructuredMode = structured
        self.supports_json_schema = structured != "none"
        self.enforces_json_schema = structured in ("json_schema", "json_object")
        self.strict_refused = False  # the server answered 400 to a strict schema once
        self._client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, http_client=http_client
        )

    def _response_format(self, schema: dict[str, Any], *, strict: bool = True) -> dict[str, Any] | None:
        if self.structured == "json_schema":
            spec: dict[str, Any] = {"name": "result", "schema": schema}
            if strict and not self.strict_refused and strict_compatible(schema):
                spec["strict"] = True
            return {"type": "json_schema", "json_schema": spec}
        if self.structured == "json_object":  # llama.cpp's server converts the schema with llama.cpp's converter
            return {"type": "json_object", "schema": for_llama_grammar(schema)}
        return None

    async def complete(
        self,
        messages: Sequence[Message | dict[str, str]],
        *,
        settings: GenerationSettings = DEFAULT_SETTINGS,
        json_schema: dict[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump() for m in as_messages(messages)],
            # Only what differs from the API's defaults: some models refuse sampling parameters.
            **settings.api_options(only_changed=True),
        }
        if json_schema is not None:
            fmt = self._response_format(json_schema)
            if fmt is not None:
                kwargs["response_format"] = fmt
        started = time.perf_counter()
        try:
            try:
                text, finish_reason, usage = await self._request(kwargs, on_token)
            except openai.BadRequestError:
                fmt = kwargs.get("response_format") or {}
                if not fmt.get("json_schema", {}).get("strict"):
                    raise
                # Maybe a server without strict mode: ask once more without it. Only if that
                # works is strict mode off for good (a 400 for another reason fails again).
                kwargs["response_format"] = self._response_format(fmt["json_schema"]["schema"], strict=False)
                text, finish_reason, usage = await self._request(kwargs, on_token)
                self.strict_refused = True  # validated and repaired on our side from now on
        except openai.APITimeoutError:
            raise ModelError(f"{self.name}: request timed out") from None
        except openai.APIConnectionError:
            raise ModelError(f"{self.name}: cannot reach the server (is it running?)") from None
        except openai.APIStatusError as exc:
            raise ModelError(f"{self.name}: HTTP {exc.status_code}: {_short(exc.message)}") from None
        usage.latency_s = time.perf_counter() - started
        return Completion(text=text, model=self.name, finish_reason=finish_reason, usage=usage)

    async def _request(self, kwargs: dict[str, Any], on_token: TokenCallback | None) -> tuple[str, str | None, Usage]:
        if on_token is None:
            return self._unpack(await self._client.chat.completions.create(**kwargs))
        return await self._stream(kwargs, on_token)

    def _unpack(self, response: Any) -> tuple[str, str | None, Usage]:
        if not response.choices:
            raise ModelError(f"{self.name}: the server returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return (
            choice.message.content or "",
            choice.finish_reason,
            Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                calls=1,
            ),
        )

    async def _stream(self, kwargs: dict[str, Any], on_token: TokenCallback) -> tuple[str, str | None, Usage]:
        """Stream the reply. Usage comes from the final chunk when the server sends it; else it is estimated
        (a chunk per token, four characters per prompt token) and marked ``estimated``."""
        pieces: list[str] = []
        finish_reason: str | None = None
        usage = Usage(calls=1)
        stream = await self._client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            if chunk.usage is not None:
                usage = Usage(prompt_tokens=chunk.usage.prompt_tokens, completion_tokens=chunk.usage.completion_tokens, calls=1)
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            piece = choice.delta.content if choice.delta else None
            if piece:
                pieces.append(piece)
                on_token(piece)
            finish_reason = choice.finish_reason or finish_reason
        if not usage.prompt_tokens:  # the server does not support include_usage (llama-cpp-python's)
            chars = sum(len(m["content"]) for m in kwargs["messages"])
            usage = Usage(prompt_tokens=chars // 4 + 4 * len(kwargs["messages"]), completion_tokens=len(pieces), calls=1, estimated=True)
        return "".join(pieces), finish_reason, usage

    async def aclose(self) -> None:
        await self._client.close()


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["OpenAICompatibleModel", "strict_compatible"]
