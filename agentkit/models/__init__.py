"""Chat model backends behind one async protocol, chosen by spec strings.

``load_model("llamacpp:default")`` gives the embedded Gemma 3 270M through llama.cpp;
``load_model("openai:MODEL@http://127.0.0.1:8011/v1")`` any OpenAI-compatible server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ModelSpecError
from .base import (
    Capabilities,
    ChatModel,
    Completion,
    Message,
    TokenCallback,
    Usage,
    as_messages,
    capabilities,
    merge_system_messages,
)
from .fake import FunctionModel, ScriptedModel
from .spec import ACCEPTED_FORMS, ModelSpec, parse_model_spec
from .settings import DEFAULT_SETTINGS, GenerationSettings
from .structured import complete, generate_object

_FAKES: dict[str, Callable[[], ChatModel]] = {}


def register_fake(name: str, factory: Callable[[], ChatModel]) -> None:
    """Make ``fake:NAME`` resolve to ``factory()`` (for tests and examples)."""
    _FAKES[name] = factory


def load_model(spec: str | ModelSpec | ChatModel, **options: Any) -> ChatModel:
    """A ready model for ``spec``; ChatModel instances pass through unchanged.

    ``options`` go to the backend (e.g. ``n_ctx``, ``n_gpu_layers`` for llamacpp;
    ``timeout``, ``structured`` for openai).
    """
    if not isinstance(spec, (str, ModelSpec)):
        if isinstance(spec, ChatModel):
            return spec
        raise ModelSpecError(f"expected a model spec string or a ChatModel, got {type(spec).__name__}")
    parsed = parse_model_spec(spec)
    if parsed.backend == "llamacpp":
        from .llamacpp import LlamaCppModel

        return LlamaCppModel(parsed.model, **options)
    if parsed.backend == "openai":
        from .openai_compatible import OpenAICompatibleModel

        return OpenAICompatibleModel(parsed.model, base_url=parsed.base_url, **options)
    if parsed.model not in _FAKES:
        raise ModelSpecError(f"no fake model registered as {parsed.model!r} (use agentkit.models.register_fake)")
    return _FAKES[parsed.model]()


__all__ = [
    "ACCEPTED_FORMS",
    "DEFAULT_SETTINGS",
    "Capabilities",
    "ChatModel",
    "Completion",
    "FunctionModel",
    "GenerationSettings",
    "Message",
    "ModelSpec",
    "ScriptedModel",
    "TokenCallback",
    "Usage",
    "as_messages",
    "capabilities",
    "complete",
    "generate_object",
    "load_model",
    "merge_system_messages",
    "parse_model_spec",
    "register_fake",
]
