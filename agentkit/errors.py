"""One exception tree for everything agentkit raises.

Three roots, so callers can tell who has to act::

    AgentkitError
    ├── ConfigError                 the developer must fix something (bad spec, bad file, bad tool)
    │   ├── ModelSpecError          a model spec string that matches no accepted form
    │   ├── ToolDefinitionError     a tool that cannot be built (bad schema, duplicate name)
    │   ├── ToolLoadError           a tool documentation file or entry that cannot be read
    │   ├── UnknownToolError        a tool name that is not in the registry
    │   ├── GrammarConversionError  a JSON Schema llama.cpp cannot turn into a grammar
    │   ├── CheckpointError         a checkpoint file that cannot be opened or read
    │   └── UnknownThreadError      resume of a thread id the checkpoint does not hold
    ├── RunError                    a run failed; partial results travel on the exception
    │   ├── ModelError              a model backend failed (unreachable, HTTP error, bad reply)
    │   │   └── StructuredOutputError   output still invalid against its schema after repair
    │   ├── PlanError               the plan is invalid after the repair round
    │   ├── ToolExecutionError      a tool raised
    │   ├── ToolTimeoutError        a tool ran past its timeout
    │   ├── UnsolvableError         no available tool can serve a subtask
    │   └── RunCancelledError       the run was cancelled
    └── ToolArgumentError           (also a ValueError) arguments that do not fit a tool's schema;
                                    a signal that can be shown back to the model for repair

Errors never log themselves; they carry what is needed to explain them.
"""

from __future__ import annotations

from typing import Any


class AgentkitError(Exception):
    """Base of every error agentkit raises on purpose."""


class ConfigError(AgentkitError):
    """Misuse or bad configuration: the developer has to change something."""


class ModelSpecError(ConfigError, ValueError):
    """A model spec string that matches none of the accepted forms."""


class ToolDefinitionError(ConfigError):
    """A tool that cannot be built or registered."""


class ToolLoadError(ConfigError):
    """A tool documentation file (or one entry in it) that cannot be read.

    The message always names the file and, when known, the entry.
    """

    def __init__(self, message: str, *, source: str, entry: str | int | None = None):
        where = source if entry is None else f"{source} [entry {entry}]"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.entry = entry


class GrammarConversionError(ConfigError):
    """A JSON Schema that llama.cpp's converter cannot turn into a grammar (never a silent fallback)."""


class UnknownToolError(ConfigError, KeyError):
    """A tool name that the registry does not hold."""

    def __init__(self, name: str, known: list[str] | None = None):
        hint = ""
        if known:
            import difflib

            close = difflib.get_close_matches(name, known, n=3)
            if close:
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)"
        super().__init__(f"unknown tool {name!r}{hint}")
        self.name = name

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class ToolArgumentError(AgentkitError, ValueError):
    """Arguments that do not fit a tool's parameter schema.

    ``problems`` lists ``(parameter, problem)`` pairs; the message names the tool,
    every parameter and every problem so it can be shown to a model for repair.
    """

    def __init__(self, tool: str, problems: list[tuple[str, str]]):
        self.tool = tool
        self.problems = problems
        detail = "; ".join(f"{param}: {problem}" for param, problem in problems)
        super().__init__(f"invalid arguments for tool {tool!r}: {detail}")


class RunError(AgentkitError):
    """A run (or one step of it) failed. ``partial`` holds what finished before."""

    def __init__(self, message: str, *, partial: Any = None):
        super().__init__(message)
        self.partial = partial


class ModelError(RunError):
    """A model backend failed: unreachable server, HTTP error, unusable reply."""


class StructuredOutputError(ModelError):
    """Model output that is still not valid against its JSON Schema after repair."""

    def __init__(self, message: str, *, raw: str = "", problems: list[str] | None = None, usage: Any = None):
        super().__init__(message)
        self.raw = raw
        self.problems = problems or []
        self.usage = usage  # the tokens the failed attempts cost (a Usage), so they are still accounted


class PlanError(RunError):
    """A plan that is still invalid after the repair round; lists every problem."""

    def __init__(self, problems: list[str], *, partial: Any = None):
        self.problems = problems
        super().__init__("invalid plan:\n" + "\n".join(f"- {p}" for p in problems), partial=partial)


class ToolExecutionError(RunError):
    """A tool raised an exception while running."""

    def __init__(self, tool: str, cause: BaseException, *, partial: Any = None):
        super().__init__(f"tool {tool!r} failed: {type(cause).__name__}: {cause}", partial=partial)
        self.tool = tool
        self.cause = cause


class ToolTimeoutError(RunError):
    """A tool ran past its timeout."""

    def __init__(self, tool: str, timeout: float, *, partial: Any = None):
        super().__init__(f"tool {tool!r} timed out after {timeout:g}s", partial=partial)
        self.tool = tool
        self.timeout = timeout


class UnsolvableError(RunError):
    """No available tool can serve a subtask; names the missing capability."""

    def __init__(self, capability: str, *, partial: Any = None):
        super().__init__(f"unsolvable: no available tool can {capability}", partial=partial)
        self.capability = capability


class RunCancelledError(RunError):
    """The run was cancelled before it finished."""


class CheckpointError(ConfigError):
    """A checkpoint file that cannot be opened or read (garbage, truncated, locked, not a file)."""


class UnknownThreadError(ConfigError, KeyError):
    """A thread id that the checkpointer holds no run for (resume needs an earlier run)."""

    def __init__(self, thread_id: str):
        super().__init__(f"no run with thread id {thread_id!r} in this checkpoint")
        self.thread_id = thread_id

    def __str__(self) -> str:
        return str(self.args[0])


__all__ = [
    "AgentkitError",
    "CheckpointError",
    "UnknownThreadError",
    "ConfigError",
    "ModelSpecError",
    "ToolDefinitionError",
    "ToolLoadError",
    "UnknownToolError",
    "GrammarConversionError",
    "ToolArgumentError",
    "RunError",
    "ModelError",
    "StructuredOutputError",
    "PlanError",
    "ToolExecutionError",
    "ToolTimeoutError",
    "UnsolvableError",
    "RunCancelledError",
]
