"""Model spec strings and the backend registry: one short string names a backend and a model everywhere.

Accepted forms of the built-in backends::

    llamacpp:default                          the embedded Gemma 3 270M GGUF
    llamacpp:/path/to/model.gguf              any GGUF file
    openai:MODEL                              OpenAI (or $OPENAI_BASE_URL)
    openai:MODEL@http://127.0.0.1:8011/v1     any OpenAI-compatible server
    fake:NAME                                 a registered fake model (tests)

A spec is ``BACKEND:MODEL[@URL]``; :func:`register_backend` (or an ``agentkit.backends``
entry point) adds a backend prefix, so plugins' specs validate wherever specs are read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import ConfigError, ModelSpecError
from ..plugins import ENTRY_POINT_GROUPS, Registry

if TYPE_CHECKING:
    from .base import ChatModel

ACCEPTED_FORMS = (
    "llamacpp:default",
    "llamacpp:/path/to/model.gguf",
    "openai:MODEL",
    "openai:MODEL@http://HOST:PORT/v1",
)


class ModelSpec(BaseModel):
    backend: str
    model: str
    base_url: str | None = None

    def __str__(self) -> str:
        suffix = f"@{self.base_url}" if self.base_url else ""
        return f"{self.backend}:{self.model}{suffix}"


BackendFactory = Callable[..., "ChatModel"]
"""``factory(spec: ModelSpec, **options) -> ChatModel``: options come from ``load_model(spec, **options)``."""

ModelCheck = Callable[[str], str | None]
"""``check(model_part) -> problem or None``: a backend's own rule for the part after ``BACKEND:``."""


@dataclass(frozen=True)
class Backend:
    """A registered backend: how to build a model, the spec forms it accepts, its own spec rule."""

    factory: BackendFactory
    forms: tuple[str, ...] = ()
    check: ModelCheck | None = None
    urls: bool = True  # MODEL@http(s)://URL names a server


BACKENDS: Registry[Backend | BackendFactory] = Registry("model backend", ENTRY_POINT_GROUPS["backend"])


def register_backend(
    prefix: str, factory: BackendFactory, *, forms: Sequence[str] = (), check: ModelCheck | None = None, urls: bool = True
) -> None:
    """Make ``PREFIX:MODEL[@URL]`` specs load with ``factory(spec, **options)``.

    ``forms`` are shown in errors and ``agentkit models`` (default ``PREFIX:MODEL``);
    ``check`` validates the model part (return a problem, or None); ``urls=False`` keeps an
    ``@`` in the model part as written. An entry point in the ``agentkit.backends`` group
    may name a factory or a :class:`Backend`.
    """
    prefix = prefix.strip().lower()
    BACKENDS.register(prefix, Backend(factory, tuple(forms) or (f"{prefix}:MODEL",), check, urls))


def backend(prefix: str) -> Backend:
    """The registered backend ``prefix`` (ConfigError when unknown)."""
    found = BACKENDS.get(prefix)
    return found if isinstance(found, Backend) else Backend(found, (f"{prefix}:MODEL",))


def accepted_forms() -> list[str]:
    """Every spec form of every known backend (plugins' included)."""
    forms: list[str] = []
    for prefix in BACKENDS.names():
        try:
            forms += [f for f in backend(prefix).forms if f not in forms]
        except ConfigError:  # a broken plugin: its name still shows, its error comes when it is used
            forms.append(f"{prefix}:MODEL")
    return forms


def _bad(spec: str, why: str) -> ModelSpecError:
    forms = "\n  ".join(accepted_forms())
    return ModelSpecError(f"bad model spec {spec!r}: {why}. Accepted forms:\n  {forms}")


def parse_model_spec(spec: str | ModelSpec) -> ModelSpec:
    """Parse a spec string; a bad one is a ModelSpecError listing the accepted forms."""
    if isinstance(spec, ModelSpec):
        return spec
    if not isinstance(spec, str) or ":" not in spec:
        raise _bad(str(spec), "expected BACKEND:MODEL")
    prefix, _, rest = spec.partition(":")
    prefix, rest = prefix.strip().lower(), rest.strip()
    if not rest:
        raise _bad(spec, "the model part is empty")
    if prefix not in BACKENDS:
        raise _bad(spec, f"unknown backend {prefix!r} (known: {', '.join(BACKENDS.names())})")
    entry = backend(prefix)
    model, at, url = rest.partition("@") if entry.urls else (rest, "", "")
    if at and not (url.startswith("http://") or url.startswith("https://")):
        raise _bad(spec, "the base URL after '@' must start with http:// or https://")
    if not model:
        raise _bad(spec, "the model name is empty")
    problem = entry.check(model) if entry.check else None
    if problem:
        raise _bad(spec, problem)
    return ModelSpec(backend=prefix, model=model, base_url=url or None)


# The built-ins: plain functions in their own modules, imported when first used.
def _check_gguf(model: str) -> str | None:
    return None if model == "default" or model.lower().endswith(".gguf") else "llamacpp takes 'default' or a path to a .gguf file"


def _llamacpp(spec: ModelSpec, **options: Any) -> ChatModel:
    from .llamacpp import LlamaCppModel

    return LlamaCppModel(spec.model, **options)


def _openai(spec: ModelSpec, **options: Any) -> ChatModel:
    from .openai_compatible import OpenAICompatibleModel

    return OpenAICompatibleModel(spec.model, base_url=spec.base_url, **options)


def _fake(spec: ModelSpec, **options: Any) -> ChatModel:
    from .fake import load_fake

    return load_fake(spec.model)


register_backend("llamacpp", _llamacpp, forms=ACCEPTED_FORMS[:2], check=_check_gguf, urls=False)
register_backend("openai", _openai, forms=ACCEPTED_FORMS[2:])
register_backend("fake", _fake, forms=("fake:NAME",), urls=False)

__all__ = [
    "ACCEPTED_FORMS", "BACKENDS", "Backend", "BackendFactory", "ModelSpec", "accepted_forms", "backend",
    "parse_model_spec", "register_backend",
]  # fmt: skip
