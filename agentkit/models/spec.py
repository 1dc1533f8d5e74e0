"""Model spec strings: one short string names a backend and a model everywhere.

Accepted forms::

    llamacpp:default                          the embedded Gemma 3 270M GGUF
    llamacpp:/path/to/model.gguf              any GGUF file
    openai:MODEL                              OpenAI (or $OPENAI_BASE_URL)
    openai:MODEL@http://127.0.0.1:8011/v1     any OpenAI-compatible server
    fake:NAME                                 a registered fake model (tests)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..errors import ModelSpecError

ACCEPTED_FORMS = (
    "llamacpp:default",
    "llamacpp:/path/to/model.gguf",
    "openai:MODEL",
    "openai:MODEL@http://HOST:PORT/v1",
)

Backend = Literal["llamacpp", "openai", "fake"]


class ModelSpec(BaseModel):
    backend: Backend
    model: str
    base_url: str | None = None

    def __str__(self) -> str:
        suffix = f"@{self.base_url}" if self.base_url else ""
        return f"{self.backend}:{self.model}{suffix}"


def _bad(spec: str, why: str) -> ModelSpecError:
    forms = "\n  ".join(ACCEPTED_FORMS)
    return ModelSpecError(f"bad model spec {spec!r}: {why}. Accepted forms:\n  {forms}")


def parse_model_spec(spec: str | ModelSpec) -> ModelSpec:
    """Parse a spec string; a bad one is a ModelSpecError listing the accepted forms."""
    if isinstance(spec, ModelSpec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise _bad(str(spec), "expected BACKEND:MODEL")
    backend, _, rest = spec.partition(":")
    backend = backend.strip().lower()
    rest = rest.strip()
    if not rest:
        raise _bad(spec, "the model part is empty")
    if backend == "llamacpp":
        if rest != "default" and not rest.lower().endswith(".gguf"):
            raise _bad(spec, "llamacpp takes 'default' or a path to a .gguf file")
        return ModelSpec(backend="llamacpp", model=rest)
    if backend == "openai":
        model, at, url = rest.partition("@")
        if not model:
            raise _bad(spec, "the model name is empty")
        if at and not (url.startswith("http://") or url.startswith("https://")):
            raise _bad(spec, "the base URL after '@' must start with http:// or https://")
        return ModelSpec(backend="openai", model=model, base_url=url or None)
    if backend == "fake":
        return ModelSpec(backend="fake", model=rest)
    raise _bad(spec, f"unknown backend {backend!r} (known: llamacpp, openai, fake)")


__all__ = ["ACCEPTED_FORMS", "ModelSpec", "parse_model_spec"]
