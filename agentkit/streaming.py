"""Event streams under web frameworks: a client that goes away cancels its run, tool calls included.

Starlette (``StreamingResponse``) and sse-starlette stop a disconnected client's response
with an anyio cancel scope, which cancels the task again at every ``await``. Consumed
directly there, an agent's stream is cut off in the middle of LangGraph's own clean-up, and
the run's tool calls go on in the background. :func:`detached` consumes the stream in a task
of its own instead; when its consumer stops, that task gets one plain ``cancel()`` and time
to unwind (shielded), so the run really stops before the response is over::

    async for event in detached(agent.stream(request, thread_id=session)):
        yield {"data": event.model_dump_json()}
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import anyio

T = TypeVar("T")


async def detached(events: AsyncIterator[T], *, unwind_s: float = 10.0) -> AsyncIterator[T]:
    """``events``, consumed by a task of its own, cancelled once (and awaited up to ``unwind_s``) when we stop."""
    # Unbounded, so the pump never waits on the queue: a cancel always lands inside the run itself.
    queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for event in events:
                queue.put_nowait(("event", event))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            queue.put_nowait(("error", exc))
            return
        queue.put_nowait(("end", None))

    task = asyncio.create_task(pump())
    try:
        while True:
            kind, item = await queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item  # type: ignore[misc]
    finally:
        if not task.done():
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([task], timeout=unwind_s)


__all__ = ["detached"]
