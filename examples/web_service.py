"""An agent inside a small FastAPI service: one conversation per client, events streamed as SSE.

    POST /run     {"request": "...", "session": "..."?}  -> the typed RunResult as JSON, plus "session"
    POST /stream  {"request": "...", "session": "..."?}  -> Server-Sent Events, `data: <event JSON>` each,
                  the last "finished" (or {"kind": "error", ...}); `: ping` comments keep a quiet stream alive

Each client is one conversation: it sends back the ``session`` it was given (also set as
the ``agentkit_session`` cookie, so browsers need nothing), and its requests run as that
thread (``agent.run(request, thread_id=session)``) one at a time. When the client goes away
mid-stream the run is cancelled, tool calls too (``agentkit.streaming.detached``), and the
connection closes cleanly.

`create_app(agent)` wraps any Agent; `app` is the math pack on the default model, built on first use:

    uvicorn examples.web_service:app          # from the repository root
    curl -N -X POST localhost:8000/stream -H 'content-type: application/json' \\
         -d '{"request": "What is 15 percent of 240?"}'
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
import weakref
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from agentkit import Agent, AgentkitError
from agentkit.errors import RunCancelledError
from agentkit.streaming import detached  # the run in a task of its own: a client that leaves really stops it

COOKIE = "agentkit_session"


class Ask(BaseModel):
    request: str
    session: str | None = Field(default=None, max_length=128, description="the conversation to continue (default: the cookie's, else a new one)")


def _error(exc: AgentkitError) -> dict:  # a failed run, as JSON
    return {"kind": "error", "status": "failed", "error_type": type(exc).__name__, "error": str(exc)}


def create_app(agent: Agent, *, ping: float = 15.0, send_timeout: float = 30.0) -> FastAPI:
    """The service; ``ping``: seconds between keep-alive comments on a quiet stream; a client that
    stops reading for ``send_timeout`` seconds is dropped (its run cancelled)."""
    api = FastAPI(title="agentkit service")
    turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()  # gone when unused

    def turn(session: str) -> asyncio.Lock:  # one run at a time per conversation
        lock = turns.get(session)
        if lock is None:
            lock = turns[session] = asyncio.Lock()
        return lock

    def session_of(ask: Ask, http: Request) -> str:
        return ask.session or http.cookies.get(COOKIE) or uuid.uuid4().hex

    def remember(response: Response, session: str) -> Response:
        response.set_cookie(COOKIE, session, httponly=True, samesite="strict")
        response.headers["X-Agentkit-Session"] = session
        return response

    @api.post("/run")
    async def run(ask: Ask, http: Request) -> Response:
        session = session_of(ask, http)
        try:
            async with turn(session):
                result = await agent.run(ask.request, thread_id=session)
        except AgentkitError as exc:  # e.g. PlanError: no valid plan after the repair round
            return remember(JSONResponse({**_error(exc), "session": session}, status_code=500), session)
        return remember(JSONResponse({**result.model_dump(mode="json"), "session": session}), session)

    @api.post("/stream")
    async def stream(ask: Ask, http: Request) -> Response:
        session = session_of(ask, http)

        async def events() -> AsyncIterator[dict]:
            async with turn(session):
                try:
                    async for event in detached(agent.stream(ask.request, thread_id=session)):
                        yield {"data": event.model_dump_json()}
                except RunCancelledError:  # the client went away: nobody to tell
                    return
                except AgentkitError as exc:  # the client gets the error as the last event
                    yield {"data": json.dumps(_error(exc))}

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering
        return remember(EventSourceResponse(events(), ping=ping, send_timeout=send_timeout, headers=headers, sep="\n"), session)

    return api


@functools.cache
def default_app() -> FastAPI:
    from agentkit.tools import load_pack

    return create_app(Agent(load_pack("math"), model="llamacpp:default", retriever="bm25"))


def __getattr__(name: str) -> FastAPI:  # `uvicorn examples.web_service:app`: the model loads on first use, not on import
    if name == "app":
        return default_app()
    raise AttributeError(name)


def main(host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(default_app(), host=host, port=port)


if __name__ == "__main__":
    main()
