"""Tools: a name, documentation, a JSON Schema for arguments, resource types and priors.

A :class:`Tool` is plain data (it serialises to JSON) plus an optional implementation.
Arguments are validated against the schema *before* the implementation runs, so a
bad argument is a :class:`~agentkit.errors.ToolArgumentError` that names the tool, the
parameter and the problem, never an exception from deep inside the tool.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any, overload

import docstring_parser
import jsonschema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model

from .errors import ToolArgumentError, ToolDefinitionError

ToolFunction = Callable[..., Any] | Callable[..., Awaitable[Any]]

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class ToolPrior(BaseModel):
    """What a tool is expected to cost and how good it is expected to be.

    ``cost`` is in the user's unit (seconds of latency, cents, ...); the search
    normalises it. ``quality`` is the probability-like chance of a good result.
    """

    model_config = ConfigDict(frozen=True)

    cost: float = Field(default=1.0, ge=0.0)
    quality: float = Field(default=0.8, ge=0.0, le=1.0)


class Tool(BaseModel):
    """A tool or API the agent may call."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: dict(EMPTY_PARAMETERS))
    input_types: list[str] = Field(default_factory=list)
    output_types: list[str] = Field(default_factory=list)
    prior: ToolPrior = Field(default_factory=ToolPrior)
    subtask_priors: dict[str, ToolPrior] = Field(default_factory=dict)
    needs_approval: bool = False
    timeout: float | None = Field(default=None, gt=0)
    simulated: bool = False
    category: str | None = None
    func: ToolFunction | None = Field(default=None, exclude=True, repr=False)

    _validator: jsonschema.protocols.Validator | None = PrivateAttr(default=None)
    _args_model: type[BaseModel] | None = PrivateAttr(default=None)

    def model_post_init(self, __context: Any) -> None:
        cls = jsonschema.validators.validator_for(self.parameters, default=jsonschema.Draft202012Validator)
        problem = _schema_problem(json.dumps(self.parameters, sort_keys=True, default=str), cls)
        if problem is not None:
            raise ToolDefinitionError(f"tool {self.name!r}: invalid parameter schema: {problem}")
        if self.parameters.get("type", "object") != "object":
            raise ToolDefinitionError(f"tool {self.name!r}: parameters must be a JSON Schema of type 'object'")
        self._validator = cls(self.parameters)

    # -- documentation -------------------------------------------------------------------

    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters.get("properties", {}))

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    @property
    def executable(self) -> bool:
        return self.func is not None

    def prior_for(self, subtask: str | None = None) -> ToolPrior:
        """The cost/quality prior for ``subtask``, falling back to the tool-wide prior."""
        if subtask is not None and subtask in self.subtask_priors:
            return self.subtask_priors[subtask]
        return self.prior

    def document(self) -> str:
        """Text used for retrieval: name, description, parameter names and descriptions."""
        parts = [self.name, self.description]
        for pname, pschema in self.parameters.get("properties", {}).items():
            parts.append(f"{pname}: {pschema.get('description', '')}")
        if self.input_types or self.output_types:
            parts.append(f"input {' '.join(self.input_types)} output {' '.join(self.output_types)}")
        return "\n".join(p for p in parts if p)

    def to_openai(self) -> dict[str, Any]:
        """The tool as an OpenAI ``tools`` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    # -- validation and calls ------------------------------------------------------------

    def validate_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Check (and for ``@tool`` functions, coerce) ``arguments``; raise ToolArgumentError."""
        if not isinstance(arguments, dict):
            raise ToolArgumentError(self.name, [("<arguments>", f"expected an object, got {type(arguments).__name__}")])
        if self._args_model is not None:
            try:
                return self._args_model.model_validate(arguments).model_dump()
            except ValidationError as exc:
                problems = [(".".join(str(p) for p in err["loc"]) or "<arguments>", err["msg"]) for err in exc.errors()]
                raise ToolArgumentError(self.name, problems) from None
        assert self._validator is not None
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            problems = []
            for err in errors:
                param = ".".join(str(p) for p in err.path) or _missing_name(err) or "<arguments>"
                problems.append((param, err.message))
            raise ToolArgumentError(self.name, problems)
        return dict(arguments)

    async def acall(self, arguments: dict[str, Any]) -> Any:
        """Validate ``arguments`` and run the implementation (sync ones in a worker thread)."""
        if self.func is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no implementation (documentation only)")
        args = self.validate_arguments(arguments)
        if inspect.iscoroutinefunction(self.func):
            return await self.func(**args)
        return await run_in_daemon_thread(self.func, args)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly, as if undecorated."""
        if self.func is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no implementation (documentation only)")
        return self.func(*args, **kwargs)


async def run_in_daemon_thread(func: Callable[..., Any], args: dict[str, Any]) -> Any:
    """Run a synchronous tool in a daemon thread of its own.

    A timed-out call cannot be stopped, but it must not hold the process either:
    ``asyncio.to_thread`` uses the loop's executor, which ``asyncio.run`` joins at exit, so
    one hung tool kept ``run_sync`` (and the CLI) from returning. The result comes back
    through a future; a late result of an abandoned call is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def deliver(setter: Callable[[Any], None], value: Any) -> None:
        if not future.done():
            setter(value)

    def work() -> None:
        try:
            value = context.run(func, **args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task as is
            _post(loop, deliver, future.set_exception, exc)
            return
        _post(loop, deliver, future.set_result, value)

    threading.Thread(target=work, name=f"agentkit-tool-{getattr(func, '__name__', 'call')}", daemon=True).start()
    return await future


def _post(loop: asyncio.AbstractEventLoop, *call: Any) -> None:
    try:
        loop.call_soon_threadsafe(*call)
    except RuntimeError:  # the loop is gone: nobody waits for this result any more
        pass


@functools.lru_cache(maxsize=65536)
def _schema_problem(schema_json: str, cls: type[jsonschema.protocols.Validator]) -> str | None:
    """The first metaschema violation of a parameter schema, cached by its text.

    Schemas without ``$schema`` are checked against Draft 7's metaschema: tool schemas
    rarely use 2020-12-only keywords, and it is 4x faster, which matters at 20,000 tools.
    """
    schema = json.loads(schema_json)
    meta_cls = cls if "$schema" in schema else jsonschema.Draft7Validator
    error = jsonschema.exceptions.best_match(_meta_validator(meta_cls).iter_errors(schema))
    return None if error is None else error.message


@functools.cache
def _meta_validator(cls: type[jsonschema.protocols.Validator]) -> jsonschema.protocols.Validator:
    """One metaschema validator per draft: ``check_schema`` would rebuild it for every tool."""
    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)


def _missing_name(err: jsonschema.ValidationError) -> str | None:
    if err.validator == "required" and isinstance(err.instance, dict):
        for name in err.validator_value:
            if name not in err.instance:
                return name
    return None


@overload
def tool(func: ToolFunction, /) -> Tool: ...
@overload
def tool(
    *,
    name: str | None = None,
    input_types: list[str] | None = None,
    output_types: list[str] | None = None,
    cost: float = 1.0,
    quality: float = 0.8,
    needs_approval: bool = False,
    timeout: float | None = None,
) -> Callable[[ToolFunction], Tool]: ...


def tool(
    func: ToolFunction | None = None,
    /,
    *,
    name: str | None = None,
    input_types: list[str] | None = None,
    output_types: list[str] | None = None,
    cost: float = 1.0,
    quality: float = 0.8,
    needs_approval: bool = False,
    timeout: float | None = None,
) -> Tool | Callable[[ToolFunction], Tool]:
    """Turn a typed function into a :class:`Tool`.

    The JSON Schema comes from the type hints (through pydantic), the description
    from the docstring, and each parameter's description from its ``Args:`` entry.
    """

    def build(fn: ToolFunction) -> Tool:
        return tool_from_function(
            fn,
            name=name,
            input_types=input_types or [],
            output_types=output_types or [],
            prior=ToolPrior(cost=cost, quality=quality),
            needs_approval=needs_approval,
            timeout=timeout,
        )

    return build(func) if func is not None else build


def tool_from_function(fn: ToolFunction, *, name: str | None = None, **fields: Any) -> Tool:
    """Build a Tool from a function's signature and docstring."""
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    param_docs = {p.arg_name: (p.description or "") for p in doc.params}
    description = "\n\n".join(p for p in (doc.short_description, doc.long_description) if p)

    signature = inspect.signature(fn)
    try:
        hints = inspect.get_annotations(fn, eval_str=True)
    except Exception as exc:  # noqa: BLE001 - unresolvable annotations are a definition error
        raise ToolDefinitionError(f"tool {fn.__name__!r}: cannot resolve type hints: {exc}") from None
    model_fields: dict[str, Any] = {}
    for pname, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {fn.__name__!r}: *args/**kwargs are not supported")
        annotation = hints.get(pname, Any)
        default = ... if param.default is param.empty else param.default
        model_fields[pname] = (annotation, Field(default, description=param_docs.get(pname) or None))
    tool_name = name or fn.__name__
    args_model = create_model(f"{tool_name}_arguments", **model_fields)  # type: ignore[call-overload]
    schema = args_model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema.setdefault("properties", {})
    built = Tool(name=tool_name, description=description, parameters=schema, func=fn, **fields)
    built._args_model = args_model
    return built


__all__ = ["Tool", "ToolPrior", "tool", "tool_from_function"]
