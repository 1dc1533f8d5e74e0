"""Resuming runs: turning a person's decisions into a LangGraph ``Command``, and checkpoints that fail typed.

A paused run may wait on several calls at once (parallel nodes that each need approval).
Each pending call is an interrupt with an id; a decision is keyed by that id or by the
node index, and ``approve=True``/``False`` decides every pending call at once. Edited
arguments are validated against the tool's schema *before* the run continues, so a bad
edit is an error for the person, not a failed node.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from langgraph.types import Command

from .errors import CheckpointError, ToolArgumentError, UnknownThreadError
from .executor import Decision
from .registry import ToolRegistry
from .result import RunResult

T = TypeVar("T")


class Approvals:
    """What :meth:`Agent.resume` was told: one decision for all, and/or decisions by id or node."""

    def __init__(
        self,
        approve: bool | dict[str, Any] | None = None,
        reason: str | None = None,
        decisions: Mapping[str | int, bool | dict[str, Any] | Decision] | None = None,
    ):
        self.approve = approve
        self.reason = reason
        self.decisions = dict(decisions or {})

    def _for(self, pending: Any) -> Decision | None:
        value = pending.value if isinstance(pending.value, dict) else {}
        for key in (pending.id, value.get("index"), str(value.get("index"))):
            if key in self.decisions:
                return Decision.of(self.decisions[key])
        if self.approve is None:
            return None
        decision = Decision.of(self.approve)
        return decision.model_copy(update={"reason": decision.reason or self.reason})

    def command(self, pending: Sequence[Any], registry: ToolRegistry) -> Command[Any] | None:
        """The resume value for the pending interrupts (None: continue a failed or killed run)."""
        if not pending:
            return None
        if isinstance(self.approve, dict) and "approve" not in self.approve and len(pending) > 1 and not self.decisions:
            raise ToolArgumentError(
                "<approval>", [("approve", f"{len(pending)} calls are pending: give edited arguments per call with decisions=")]
            )
        resume: dict[str, Any] = {}
        for p in pending:
            decision = self._for(p)
            if decision is None:
                continue  # undecided: it stays pending
            tool = p.value.get("tool") if isinstance(p.value, dict) else None
            if decision.arguments is not None and isinstance(tool, str) and tool in registry:
                decision = decision.model_copy(update={"arguments": registry.get(tool).validate_arguments(decision.arguments)})
            resume[p.id] = decision.model_dump()
        return Command(resume=resume) if resume else None


async def checked(awaitable: Awaitable[T]) -> T:
    """A checkpoint read whose storage errors become :class:`CheckpointError`."""
    try:
        return await awaitable
    except (sqlite3.Error, OSError, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"the checkpoint could not be read: {exc}") from None


def finished_result(state: Any, thread_id: str) -> RunResult | None:
    """The result of a thread whose last run finished (None while it waits or can continue).

    An unknown thread id is an :class:`UnknownThreadError`, not LangGraph's EmptyInputError."""
    if getattr(state, "created_at", None) is None and not getattr(state, "values", None):
        raise UnknownThreadError(thread_id)
    if getattr(state, "next", ()) or getattr(state, "interrupts", ()):
        return None
    values = getattr(state, "values", None)
    if isinstance(values, dict) and "status" in values and "request" in values:
        result = RunResult.model_validate(values)
        result.thread_id = thread_id
        return result
    return None


@asynccontextmanager
async def open_sqlite_saver(path: str | Path) -> AsyncIterator[Any]:
    """LangGraph's SQLite saver on ``path``; unusable files are a :class:`CheckpointError`."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    target = Path(path)
    if target.exists() and not target.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} is not a file")
    try:  # a synchronous probe first: aiosqlite's worker thread reports open errors badly
        probe = sqlite3.connect(str(target), timeout=5)
        try:
            probe.execute("PRAGMA schema_version").fetchone()
            probe.execute("PRAGMA quick_check").fetchone()
        finally:
            probe.close()
    except (sqlite3.Error, OSError) as exc:
        raise CheckpointError(f"checkpoint {str(path)!r} cannot be used: {exc}") from None
    cm = AsyncSqliteSaver.from_conn_string(str(path))
    try:
        saver = await cm.__aenter__()
        await saver.setup()
    except (sqlite3.Error, OSError) as exc:
        await cm.__aexit__(None, None, None)
        raise CheckpointError(f"checkpoint {str(path)!r} cannot be used: {exc}") from None
    try:
        yield saver
    except sqlite3.Error as exc:
        raise CheckpointError(f"checkpoint {str(path)!r} failed: {exc}") from None
    finally:
        await cm.__aexit__(None, None, None)


__all__ = ["Approvals", "checked", "finished_result", "open_sqlite_saver"]
