"""The agentkit config file: TOML defaults for the CLI's agent options.

::

    model = "llamacpp:default"          # every role unless overridden
    planner = "openai:gpt-4o-mini"
    caller = "llamacpp:default"
    summarizer = "llamacpp:default"
    tools = ["math", "datetime"]         # same values as --tools
    alpha = 0.5
    retriever = "hybrid"
    strategy = "one-shot"

Every key is optional. The file is found by :func:`find_config`: an explicit path
(``--config FILE``), else ``$AGENTKIT_CONFIG``, else ``./agentkit.toml`` if it exists.
It is validated as a whole when loaded (model specs with :func:`parse_model_spec`);
anything wrong is a :class:`ConfigError` naming the file and the key. Command-line
flags override the file key by key (:func:`merge_options`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError, ModelSpecError
from .models.spec import parse_model_spec

ENV_VAR = "AGENTKIT_CONFIG"
ROLES = ("planner", "caller", "summarizer")
DEFAULT_FILE = "agentkit.toml"

#: What an option is when neither a flag nor the config file sets it (tools None: the default packs).
DEFAULTS: dict[str, Any] = {
    "model": "llamacpp:default",
    "planner": None,
    "caller": None,
    "summarizer": None,
    "tools": None,
    "alpha": 0.5,
    "strategy": "one-shot",
    "retriever": "hybrid",
}


class AgentkitConfig(BaseModel):
    """The config file's keys; unset keys are None. Strict: no type coercion, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, protected_namespaces=())

    model: str | None = None
    planner: str | None = None
    caller: str | None = None
    summarizer: str | None = None
    tools: list[str] | None = None
    alpha: float | None = Field(default=None, ge=0.0, le=1.0)
    strategy: Literal["one-shot", "zero-shot"] | None = None
    retriever: Literal["hybrid", "bm25", "dense"] | None = None

    @field_validator("model", "planner", "caller", "summarizer")
    @classmethod
    def _valid_spec(cls, spec: str | None) -> str | None:
        if spec is not None:
            parse_model_spec(spec)  # ModelSpecError (a ValueError) lists the accepted forms
        return spec


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: ``explicit``, else ``$AGENTKIT_CONFIG``, else ``./agentkit.toml`` if it exists."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env)
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def _key(loc: tuple[Any, ...]) -> str:
    key = str(loc[0]) if loc else "?"
    return key + "".join(f"[{part}]" for part in loc[1:] if isinstance(part, int))


def _problem(error: Any) -> str:
    """One pydantic error as 'key ...: problem' (the spec parser's own message for a bad spec)."""
    key = _key(tuple(error["loc"]))
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r} (known keys: {', '.join(AgentkitConfig.model_fields)})"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ModelSpecError):
        return f"key {key!r}: {cause}"
    value = error.get("input")
    return f"key {key!r}: {error['msg']}, got {type(value).__name__} {value!r}"


def parse_config(data: dict[str, Any], source: str | Path = "<config>") -> AgentkitConfig:
    """Validate already-parsed TOML data; every problem goes into one ConfigError naming ``source``."""
    try:
        return AgentkitConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ConfigError(f"config file {str(source)!r}: {problems}") from None


def load_config(path: str | Path) -> AgentkitConfig:
    """Read and validate a TOML config file; a missing file, bad TOML or a bad key is a ConfigError."""
    where = f"config file {str(path)!r}"
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{where} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    config = parse_config(data, path)
    if config.tools:
        config = config.model_copy(update={"tools": [_relative_to(Path(path).parent, entry) for entry in config.tools]})
    return config


def _relative_to(folder: Path, entry: str) -> str:
    """A tool file or folder named relative to the config file, as a path that works from anywhere."""
    from .tools import PACKS

    if entry.split(":", 1)[0] in PACKS or Path(entry).is_absolute():
        return entry
    candidate = folder / entry
    return str(candidate.resolve()) if candidate.exists() else entry


def merge_options(config: AgentkitConfig | None, **flags: Any) -> dict[str, Any]:
    """Agent options: each flag that was given (not None) wins, else the file's key, else :data:`DEFAULTS`.

    Keys merge one by one, except that ``--model`` means "this model for every role": it
    also sets aside the file's ``planner``/``caller``/``summarizer`` (role flags still win).
    An empty ``tools`` flag list counts as not given.
    """
    unknown = set(flags) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    model_flag = flags.get("model") is not None
    merged: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        flag = flags.get(key)
        if flag is not None and flag != []:
            merged[key] = flag
        elif model_flag and key in ROLES:
            merged[key] = default
        elif config is not None and getattr(config, key) is not None:
            value = getattr(config, key)
            merged[key] = list(value) if isinstance(value, list) else value
        else:
            merged[key] = default
    return merged


__all__ = ["DEFAULTS", "DEFAULT_FILE", "ENV_VAR", "AgentkitConfig", "find_config", "load_config", "merge_options", "parse_config"]
