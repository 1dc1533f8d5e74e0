"""An agent inside a small FastAPI service, streaming its events to the client.

    POST /run     {"request": "..."}  -> the whole typed RunResult as JSON
    POST /stream  {"request": "..."}  -> Server-Sent Events (text/event-stream), one
                                         `data: <event JSON>` per event; the last is "finished"
                                         (or {"kind": "error", ...} when the run fails)

`create_app(agent)` wraps any Agent; `app` is the math pack on the default local model, built
on first use. Run it and ask:

    uvicorn examples.web_service:app          # from the repository root
    curl -N -X POST localhost:8000/stream -H 'content-type: application/json' \\
         -d '{"request": "What is 15 percent of 240?"}'
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from agentkit import Agent, AgentkitError
from agentkit.errors import RunCancelledError


class Ask(BaseModel):
    request: str


def _error(exc: AgentkitError) -> dict:
    return {"kind": "error", "status": "failed", "error_type": type(exc).__name__, "error": str(exc)}


def create_app(agent: Agent) -> FastAPI:
    api = FastAPI(title="agentkit service")

    @api.post("/run")
    async def run(ask: Ask):
        try:
            result = await agent.run(ask.request)
        except AgentkitError as exc:  # e.g. PlanError: no valid plan after the repair round
            return JSONResponse(_error(exc), status_code=500)
        return result.model_dump(mode="json")

    @api.post("/stream")
    async def stream(ask: Ask) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            try:
                async for event in agent.stream(ask.request):
                    yield f"data: {event.model_dump_json()}\n\n"
            except RunCancelledError:  # the client went away: nobody to tell
                return
            except AgentkitError as exc:  # the client gets the error as the last event
                yield f"data: {json.dumps(_error(exc))}\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

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
