"""Generation settings: every sampling option of a model call in one typed value.

Backends take one :class:`GenerationSettings` instead of a row of keywords, so a new
setting is one field here. The names follow the OpenAI API, which llama-cpp-python's
``create_chat_completion`` shares, so both backends pass them on by name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GenerationSettings(BaseModel):
    """How to sample one completion (OpenAI semantics; the defaults are greedy decoding)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int = Field(512, ge=1, description="most tokens to generate")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    seed: int | None = Field(None, description="for reproducible sampling where the backend supports it")
    stop: tuple[str, ...] = Field((), description="strings that end generation (not included in the text)")

    def merged(self, **overrides: Any) -> GenerationSettings:
        """A copy with ``overrides`` applied (``None`` values are ignored), validated like a new instance."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return self if not given else GenerationSettings.model_validate({**self.model_dump(), **given})

    def api_options(self, *, only_changed: bool = False) -> dict[str, Any]:
        """The settings as OpenAI-API keyword arguments.

        ``only_changed`` leaves out what equals the API's own default (some models refuse
        sampling parameters they were not meant to take); ``max_tokens`` and ``temperature``
        are always sent, since agentkit's defaults differ from the API's.
        """
        options = self.model_dump(exclude_defaults=only_changed)
        options["max_tokens"], options["temperature"] = self.max_tokens, self.temperature
        options["stop"] = list(self.stop) or None
        return {k: v for k, v in options.items() if v is not None}


DEFAULT_SETTINGS = GenerationSettings()
"""Greedy decoding of up to 512 tokens: what a call without settings gets."""

__all__ = ["DEFAULT_SETTINGS", "GenerationSettings"]
