"""An agent inside a small FastAPI service, streaming its events to the client.

    POST /run     {"request": "..."}  -> the whole typed RunResult as JSON
    POST /stream  {"request": "..."}  -> Server-Sent Events, one `data: <event JSON>` per event

Run: uvicorn examples.web_service:app   (the default app uses the math pack on the default local model)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from agentkit import Agent, AgentkitError


class Ask(BaseModel):
    request: str


def create_app(agent: Agent) -> FastAPI:
    api = FastAPI(title="agentkit service")

    @api.post("/run")
    async def run(ask: Ask) -> dict:
        try:
            return (await agent.run(ask.request)).model_dump(mode="json")
        except AgentkitError as exc:
            return {"status": "failed", "error": str(exc)}

    @api.post("/stream")
    async def stream(ask: Ask) -> StreamingResponse:
        async def events() -> AsyncIterator[str]:
            try:
                async for event in agent.stream(ask.request):
                    yield f"data: {event.model_dump_json()}\n\n"
            except AgentkitError as exc:  # the client gets the error as the last event
                yield f'data: {{"kind": "error", "error": {str(exc)!r}}}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    return api


def default_app() -> FastAPI:
    from agentkit.tools import load_pack

    return create_app(Agent(load_pack("math"), model="llamacpp:default", retriever="bm25"))


def __getattr__(name: str) -> FastAPI:  # `uvicorn examples.web_service:app` builds the agent on first use
    if name == "app":
        return default_app()
    raise AttributeError(name)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(default_app(), host="127.0.0.1", port=8000)
