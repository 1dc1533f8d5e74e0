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
anything wrong is a :class:`ConfigError` naming the file and the key. Each key can also
come from the environment (``AGENTKIT_MODEL``, ``AGENTKIT_TOOLS``, ...: :data:`ENV_KEYS`,
read by :func:`env_config`). Precedence: command-line flags, then the environment, then
the file, then :data:`DEFAULTS` (:func:`with_env`, :func:`merge_options`).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .errors import ConfigError, ModelSpecError
from .models.spec import parse_model_spec
from .plugins import Registry
from .sanitize import bound_text, printable

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
    "examples": None,  # example banks: files, or "builtin" (the shipped packs' worked examples)
    "learn": False,  # add the plans of runs that fully worked to the bank (agentkit.examples)
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
    strategy: str | None = None  # a registered planner (agentkit.planners.PLANNERS)
    retriever: str | None = None  # a registered retriever (agentkit.retrieval.RETRIEVERS)
    examples: list[str] | None = None  # example bank files (relative to the config file), or "builtin"
    learn: bool | None = None

    @field_validator("model", "planner", "caller", "summarizer")
    @classmethod
    def _valid_spec(cls, spec: str | None) -> str | None:
        if spec is not None:
            parse_model_spec(spec)  # ModelSpecError (a ValueError) lists the accepted forms
        return spec

    @field_validator("strategy", "retriever")
    @classmethod
    def _registered(cls, name: str | None, info: ValidationInfo) -> str | None:
        """Planners and retrievers come from open registries (plugins included), read here."""
        if name is not None:
            registry = _planners() if info.field_name == "strategy" else _retrievers()
            if name not in registry:
                raise ValueError(f"unknown {registry.kind} {name!r} (known: {', '.join(registry.names())})")
        return name


def _planners() -> Registry[Any]:
    from .planners import PLANNERS

    return PLANNERS


def _retrievers() -> Registry[Any]:
    from .retrieval.registry import RETRIEVERS

    return RETRIEVERS


#: The environment variable of each key (AGENTKIT_TOOLS: sources separated by spaces, or a JSON list).
ENV_KEYS: dict[str, str] = {key: f"AGENTKIT_{key.upper()}" for key in DEFAULTS}


def _env_tools(raw: str) -> Any:
    """Tool sources from $AGENTKIT_TOOLS: a JSON list, or names separated by spaces (commas between plain names)."""
    if raw.startswith("["):
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:  # bad JSON, nesting too deep, an unprintable number
            problem = "nested too deeply" if isinstance(exc, RecursionError) else bound_text(str(exc), 200)
            raise ConfigError(f"environment variable AGENTKIT_TOOLS: not a JSON list: {problem}") from None
    sources = []
    for part in raw.split():
        sources += part.split(",") if ":" not in part else [part]  # PACK:key=a,key=b keeps its commas
    return [s for s in sources if s]


def env_config(environ: Mapping[str, str] | None = None) -> AgentkitConfig | None:
    """The keys set in the environment (:data:`ENV_KEYS`), validated like a file's; None when none is set."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    for key, var in ENV_KEYS.items():
        raw = environ.get(var, "").strip()
        if not raw:
            continue
        if key == "alpha":
            try:
                data[key] = float(raw)
            except ValueError:
                raise ConfigError(f"environment variable {var}: not a number: {raw!r}") from None
        elif key == "learn":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ConfigError(f"environment variable {var}: expected true or false, not {raw!r}")
            data[key] = raw.lower() in ("1", "true", "yes")
        else:
            data[key] = _env_tools(raw) if key in ("tools", "examples") else raw
    if not data:
        return None
    try:
        return AgentkitConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(e).replace(f"key {_key(tuple(e['loc']))!r}", f"environment variable {ENV_KEYS[str(e['loc'][0])]}") for e in exc.errors())
        raise ConfigError(problems) from None


def with_env(config: AgentkitConfig | None, environ: Mapping[str, str] | None = None) -> AgentkitConfig | None:
    """``config`` (from a file, or None) with the environment's keys on top.

    As with ``--model``, ``AGENTKIT_MODEL`` means one model for every role: it sets aside the
    file's ``planner``/``caller``/``summarizer`` (``AGENTKIT_PLANNER`` etc. still win).
    """
    env = env_config(environ)
    if env is None:
        return config
    values = config.model_dump() if config is not None else {}
    if env.model is not None:
        values.update(dict.fromkeys(ROLES))
    values.update({k: v for k, v in env.model_dump().items() if v is not None})
    return AgentkitConfig.model_validate(values)


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
        return f"key {key!r}: {bound_text(str(cause), 600)}"
    value = error.get("input")
    return f"key {key!r}: {error['msg']}, got {type(value).__name__} {_shown(value)}"


def _shown(value: Any) -> str:
    """A bad value for an error line: its repr, escaped and bounded (a 10 MB value gives a short line)."""
    try:
        return printable(bound_text(repr(value), 200))
    except (ValueError, RecursionError):  # an int too long to print, a structure too deep
        return f"<{type(value).__name__}>"


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
        if Path(path).exists() and not Path(path).is_file() and not Path(path).is_dir():
            raise ConfigError(f"{where} is not a regular file")  # a FIFO or a device would block or never end
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{where} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a directory, not a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL byte in the path
        raise ConfigError(f"{where} cannot be read: {exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {bound_text(str(exc), 300)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: invalid TOML: nested too deeply") from None
    config = parse_config(data, path)
    if config.tools:
        config = config.model_copy(update={"tools": [_relative_to(Path(path).parent, entry) for entry in config.tools]})
    if config.examples:
        config = config.model_copy(update={"examples": [e if e == "builtin" else str(Path(path).parent / e) for e in config.examples]})
    return config


def _relative_to(folder: Path, entry: str) -> str:
    """A tool file or folder named relative to the config file, as a path that works from anywhere."""
    from .tools import PACKS

    if entry.split(":", 1)[0] in PACKS or Path(entry).is_absolute():
        return entry
    candidate = folder / entry
    try:
        return str(candidate.resolve()) if candidate.exists() else entry
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte: the loader reports it
        return entry


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


__all__ = [
    "DEFAULTS", "DEFAULT_FILE", "ENV_KEYS", "ENV_VAR", "AgentkitConfig", "env_config", "find_config", "load_config",
    "merge_options", "parse_config", "with_env",
]  # fmt: skip
