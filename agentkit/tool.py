"""Tools: a name, documentation, a JSON Schema for arguments, resource types and priors.

A :class:`Tool` is plain data (it serialises to JSON) plus an optional implementation.
Arguments are validated against the schema *before* the implementation runs, so a
bad argument is a :class:`~agentkit.errors.ToolArgumentError` that names the tool, the
parameter and the problem, never an exception from deep inside the tool. Unknown
arguments are refused (unless the function takes ``**kwargs``), a boolean is never an
integer, and every problem text is bounded (a 10 MB value gives a short message).

A tool's documentation is untrusted data: its schema may only reference its own parts
(``#/$defs/...``) and validation never fetches anything (:mod:`agentkit.toolschema`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import math
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any, overload

import docstring_parser
import jsonschema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model, field_serializer

from . import toolschema
from .errors import ToolArgumentError, ToolDefinitionError
from .sanitize import bound_text

ToolFunction = Callable[..., Any] | Callable[..., Awaitable[Any]]

ApprovalRule = bool | Callable[[dict[str, Any]], bool]

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}

MAX_NAME_CHARS = 256
MAX_PROBLEM_CHARS = 300  # one problem's text in a ToolArgumentError
MAX_PROBLEMS = 20
MAX_ARGUMENT_DEPTH = 100
MAX_INT_BITS = 13_000  # about 3,900 digits: Python refuses to print ints past 4,300 digits
# Control characters (terminal escapes), zero-width and bidirectional overrides: a name must look like what it is.
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")


class ToolPrior(BaseModel):
    """What a tool is expected to cost and how good it is expected to be.

    ``cost`` is in the user's unit (seconds of latency, cents, ...); the search
    normalises it. ``quality`` is the probability-like chance of a good result.
    """

    model_config = ConfigDict(frozen=True)

    cost: float = Field(default=1.0, ge=0.0)
    quality: float = Field(default=0.8, ge=0.0, le=1.0)


class Tool(BaseModel):
    """A tool or API the agent may call.

    Besides documentation, a tool declares how it may be run:

    * ``needs_approval``: ask the user before running it; either a bool or a predicate on
      the (validated) arguments, e.g. ``lambda args: args["method"] != "GET"``
      (see :meth:`approval_needed`);
    * ``idempotent``: running it twice with the same arguments is as good as once, so a
      failed or timed-out call may be retried (default True; set False for "append",
      "send", "charge" and the like, which are then not retried by default);
    * ``side_effects``: it changes the world (writes a file, posts, deletes). Such tools
      can be made to need approval once untrusted tool output has entered a conversation.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: dict(EMPTY_PARAMETERS))
    input_types: list[str] = Field(default_factory=list)
    output_types: list[str] = Field(default_factory=list)
    prior: ToolPrior = Field(default_factory=ToolPrior)
    subtask_priors: dict[str, ToolPrior] = Field(default_factory=dict)
    needs_approval: ApprovalRule = False
    idempotent: bool = True
    side_effects: bool = False
    timeout: float | None = Field(default=None, gt=0)
    simulated: bool = False
    category: str | None = None
    func: ToolFunction | None = Field(default=None, exclude=True, repr=False)

    _validator: jsonschema.protocols.Validator | None = PrivateAttr(default=None)
    _validator_cls: type[jsonschema.protocols.Validator] | None = PrivateAttr(default=None)
    _args_model: type[BaseModel] | None = PrivateAttr(default=None)
    _accepted: tuple[Any, frozenset[str] | None] | None = PrivateAttr(default=None)

    def __init__(self, /, **data: Any) -> None:
        """Build a tool; anything wrong with the definition is a ToolDefinitionError (never pydantic's error)."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<tool>"
            raise ToolDefinitionError(bound_text(f"tool {_shown_name(data.get('name'))}: {where}: {first['msg']}", 500)) from None

    def model_post_init(self, __context: Any) -> None:
        problem = name_problem(self.name)
        if problem is not None:
            raise ToolDefinitionError(f"tool {_shown_name(self.name)}: {problem}")
        if self.parameters.get("type", "object") != "object":
            raise ToolDefinitionError(f"tool {self.name!r}: parameters must be a JSON Schema of type 'object'")
        properties = self.parameters.get("properties")
        if isinstance(properties, dict) and any(isinstance(p, bool) for p in properties.values()):
            # `"a": true` is valid JSON Schema; as an object every consumer can read a parameter's keys
            fixed = {k: ({} if p is True else {"not": {}}) if isinstance(p, bool) else p for k, p in properties.items()}
            self.parameters = {**self.parameters, "properties": fixed}
        problem, newer = toolschema.scan(self.parameters)
        if problem is None:
            cls = toolschema.validator_class(self.parameters)
            try:
                problem = _schema_problem(json.dumps(self.parameters, sort_keys=True, default=str), cls, newer)  # type: ignore[arg-type]  # classes hash
            except (ValueError, TypeError, RecursionError) as exc:  # an int too long to print, a NaN key...
                problem = f"not JSON: {exc}"
        if problem is not None:
            raise ToolDefinitionError(bound_text(f"tool {self.name!r}: invalid parameter schema: {problem}", 500))
        self._validator_cls = cls  # the validator itself is built on first use: most tools of a large pool never run

    @field_serializer("needs_approval")
    def _serialize_approval(self, rule: ApprovalRule) -> bool:
        return rule if isinstance(rule, bool) else True  # a predicate: "may need approval"

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

    def approval_needed(self, arguments: dict[str, Any]) -> bool:
        """Whether running with ``arguments`` needs the user's approval.

        A predicate that raises (or gets arguments it does not understand) means "ask":
        an approval rule fails safe.
        """
        rule = self.needs_approval
        if isinstance(rule, bool):
            return rule
        try:
            return bool(rule(dict(arguments)))
        except Exception:  # noqa: BLE001 - any failure of the user's predicate asks for approval
            return True

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
            self._refuse([("<arguments>", f"expected an object, got {type(arguments).__name__}")])
        problems = [(str(k), p) for k, v in arguments.items() for p in _value_problems(v)]
        problems += [(_shown_key(k), "argument names must be strings") for k in arguments if not isinstance(k, str)]
        accepted = self._accepted_names()
        if accepted is not None:
            problems += [
                (k, f"unknown argument (expected one of {sorted(accepted)})") for k in arguments if isinstance(k, str) and k not in accepted
            ]
        if problems:
            self._refuse(problems)
        errors = self._schema_errors(arguments)
        if self._args_model is not None:
            # pydantic would turn True into 1: the published schema says a boolean is not a number.
            self._refuse_errors([e for e in errors if isinstance(e.instance, bool) and e.validator in ("type", "anyOf", "oneOf")])
            try:
                return self._args_model.model_validate(arguments).model_dump()
            except ValidationError as exc:
                self._refuse([(".".join(str(p) for p in err["loc"]) or "<arguments>", err["msg"]) for err in exc.errors()])
        self._refuse_errors(errors)
        return dict(arguments)

    def argument_problems(self, name: str, value: Any) -> list[str]:
        """Problems of one argument's value against this tool's schema (its ``$defs`` included)."""
        problems = _value_problems(value)
        if problems:
            return [bound_text(p, MAX_PROBLEM_CHARS) for p in problems]
        try:
            errors = self._schema_errors({name: value})
        except ToolArgumentError as exc:
            return [p for _, p in exc.problems]
        return [bound_text(e.message, MAX_PROBLEM_CHARS) for e in errors if list(e.path)[:1] == [name]]

    def _schema_errors(self, arguments: dict[str, Any]) -> list[jsonschema.ValidationError]:
        try:
            if self._validator is None:
                self._validator = toolschema.validator(self.parameters, self._validator_cls)
            return sorted(self._validator.iter_errors(arguments), key=lambda e: [str(p) for p in e.path])
        except toolschema.VALIDATION_FAILURES as exc:  # a schema that cannot be followed: the call cannot be checked
            self._refuse([("<arguments>", f"cannot be checked against the tool's schema: {type(exc).__name__}: {exc}")])
            raise  # unreachable

    def _refuse_errors(self, errors: list[jsonschema.ValidationError]) -> None:
        if errors:
            self._refuse([(".".join(str(p) for p in e.path) or _missing_name(e) or "<arguments>", e.message) for e in errors])

    def _refuse(self, problems: list[tuple[str, str]]) -> None:
        """Raise ToolArgumentError with bounded texts: a 10 MB value never makes a 10 MB message."""
        shown = [(bound_text(p, 80), bound_text(m, MAX_PROBLEM_CHARS)) for p, m in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(("<arguments>", f"... and {len(problems) - MAX_PROBLEMS} more problem(s)"))
        raise ToolArgumentError(self.name, shown)

    def _accepted_names(self) -> frozenset[str] | None:
        """The argument names the implementation takes; None when it takes any (``**kwargs``) or is absent."""
        if self.func is None:
            return None
        cached = self._accepted
        if cached is None or cached[0] is not self.func:  # func may be set after construction
            cached = self._accepted = (self.func, _accepted_names(self.func))
        return cached[1]

    async def acall(self, arguments: dict[str, Any]) -> Any:
        """Validate ``arguments`` and run the implementation (sync ones in a worker thread)."""
        if self.func is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no implementation (documentation only)")
        args = self.validate_arguments(arguments)
        try:
            if inspect.iscoroutinefunction(self.func):
                return await self.func(**args)
            return await run_in_daemon_thread(self.func, args)
        except (SystemExit, KeyboardInterrupt) as exc:
            # A tool cannot end the program: sys.exit() in a tool is its failure, not the run's end. (Ctrl-C
            # reaches an asyncio run as a cancellation of the main task, not as a KeyboardInterrupt raised here.)
            raise ToolExitError(f"the tool tried to end the program: {type(exc).__name__}({bound_text(str(exc), 200)})") from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly, as if undecorated."""
        if self.func is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no implementation (documentation only)")
        return self.func(*args, **kwargs)


class ToolExitError(RuntimeError):
    """A tool raised SystemExit or KeyboardInterrupt; the run treats it as that tool's failure."""


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
def _schema_problem(schema_json: str, cls: type[jsonschema.protocols.Validator], newer: bool = False) -> str | None:
    """The first metaschema violation of a parameter schema, cached by its text.

    Schemas without ``$schema`` are checked against Draft 7's metaschema: tool schemas
    rarely use 2020-12-only keywords, and it is 4x faster, which matters at 20,000 tools.
    A schema that uses them (``newer``) is checked against its own draft's metaschema,
    since the validator follows them.
    """
    schema = json.loads(schema_json)
    meta_cls = cls if "$schema" in schema or newer else jsonschema.Draft7Validator
    error = jsonschema.exceptions.best_match(_meta_validator(meta_cls).iter_errors(schema))  # type: ignore[arg-type]  # classes hash
    return None if error is None else error.message


@functools.cache
def _meta_validator(cls: type[jsonschema.protocols.Validator]) -> jsonschema.protocols.Validator:
    """One metaschema validator per draft: ``check_schema`` would rebuild it for every tool."""
    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=toolschema.NO_RETRIEVAL)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a tool, or None: names are shown in terminals and prompts."""
    if not name.strip():
        return "the name is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"the name is longer than {MAX_NAME_CHARS} characters"
    if name != name.strip():
        return "the name starts or ends with white space"
    if _BAD_NAME_CHARS.search(name):
        return "the name holds control, zero-width or direction-changing characters"
    return None


def _shown_name(name: Any) -> str:
    """A name for an error message: escaped (no raw control characters) and bounded."""
    return bound_text(ascii(name) if isinstance(name, str) else f"<{type(name).__name__}>", 100)


def _shown_key(key: Any) -> str:
    return bound_text(ascii(key), 80)


def _value_problems(value: Any) -> list[str]:
    """Problems no schema can see: ints too long to print, NaN/inf, nesting too deep, cycles."""
    stack: list[tuple[Any, int, tuple[int, ...]]] = [(value, 0, ())]
    while stack:
        node, depth, parents = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > MAX_INT_BITS:
            return [f"integer too large ({node.bit_length():,} bits; at most {MAX_INT_BITS:,})"]
        if isinstance(node, float) and not math.isfinite(node):
            return [f"{node} is not a finite number"]
        if isinstance(node, dict | list | tuple):
            if depth >= MAX_ARGUMENT_DEPTH:
                return [f"nested deeper than {MAX_ARGUMENT_DEPTH} levels"]
            if id(node) in parents:
                return ["the value contains itself (a cycle)"]
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1, (*parents, id(node))) for child in children)
    return []


def _accepted_names(func: Any) -> frozenset[str] | None:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let it decide
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


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
    needs_approval: ApprovalRule = False,
    idempotent: bool = True,
    side_effects: bool = False,
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
    needs_approval: ApprovalRule = False,
    idempotent: bool = True,
    side_effects: bool = False,
    timeout: float | None = None,
) -> Tool | Callable[[ToolFunction], Tool]:
    """Turn a typed function into a :class:`Tool`.

    The JSON Schema comes from the type hints (through pydantic), the description
    from the docstring, and each parameter's description from its ``Args:`` entry.
    ``needs_approval`` (a bool or a predicate on the arguments), ``idempotent`` (safe to
    retry) and ``side_effects`` (changes the world) are described on :class:`Tool`.
    """

    def build(fn: ToolFunction) -> Tool:
        return tool_from_function(
            fn,
            name=name,
            input_types=input_types or [],
            output_types=output_types or [],
            prior=ToolPrior(cost=cost, quality=quality),
            needs_approval=needs_approval,
            idempotent=idempotent,
            side_effects=side_effects,
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
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise ToolDefinitionError(f"tool {fn.__name__!r}: *args, **kwargs and positional-only parameters are not supported (arguments are passed by name)")
        annotation = hints.get(pname, Any)
        default = ... if param.default is param.empty else param.default
        model_fields[pname] = (annotation, Field(default, description=param_docs.get(pname) or None))
    tool_name = name or getattr(fn, "__name__", "")
    problem = name_problem(tool_name) if isinstance(tool_name, str) else "the name must be a string"
    if problem is not None:
        raise ToolDefinitionError(f"tool {_shown_name(tool_name)}: {problem}")
    try:
        args_model = create_model(  # type: ignore[call-overload]
            "arguments", __config__=ConfigDict(extra="forbid"), **model_fields
        )
        schema = args_model.model_json_schema()
    except Exception as exc:  # noqa: BLE001 - a type pydantic cannot describe is a definition error
        raise ToolDefinitionError(bound_text(f"tool {tool_name!r}: cannot build a schema from the type hints: {exc}", 500)) from None
    schema.pop("title", None)
    schema.pop("additionalProperties", None)  # unknown arguments are refused by validate_arguments
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema.setdefault("properties", {})
    built = Tool(name=tool_name, description=description, parameters=schema, func=fn, **fields)
    built._args_model = args_model
    return built


__all__ = ["Tool", "ToolPrior", "tool", "tool_from_function"]
