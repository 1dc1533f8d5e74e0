"""Chat model backends behind one async protocol, chosen by spec strings.

``load_model("llamacpp:default")`` gives the embedded Gemma 3 270M through llama.cpp;
``load_model("openai:MODEL@http://127.0.0.1:8011/v1")`` any OpenAI-compatible server.
"""

from __future__ import annotations

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
from .fake import FunctionModel, ScriptedModel, register_fake
from .settings import DEFAULT_SETTINGS, GenerationSettings
from .spec import ACCEPTED_FORMS, Backend, ModelSpec, accepted_forms, backend, parse_model_spec, register_backend
from .structured import complete, generate_object


def load_model(spec: str | ModelSpec | ChatModel, **options: Any) -> ChatModel:
    """A ready model for ``spec``; ChatModel instances pass through unchanged.

    ``options`` go to the backend's factory (e.g. ``n_ctx``, ``n_gpu_layers`` for llamacpp;
    ``timeout``, ``structured`` for openai). Backends come from :func:`register_backend`
    and the ``agentkit.backends`` entry points.
    """
    if not isinstance(spec, (str, ModelSpec)):
        if isinstance(spec, ChatModel):
            return spec
        raise ModelSpecError(f"expected a model spec string or a ChatModel, got {type(spec).__name__}")
    parsed = parse_model_spec(spec)
    model = backend(parsed.backend).factory(parsed, **options)
    if not isinstance(model, ChatModel):
        raise ModelSpecError(f"backend {parsed.backend!r} returned {type(model).__name__}, not a ChatModel")
    return model


__all__ = [
    "ACCEPTED_FORMS",
    "DEFAULT_SETTINGS",
    "Backend",
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
    "accepted_forms",
    "as_messages",
    "capabilities",
    "complete",
    "generate_object",
    "load_model",
    "merge_system_messages",
    "parse_model_spec",
    "register_backend",
    "register_fake",
]
