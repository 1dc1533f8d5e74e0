"""``fetch``: HTTP GET of an allowlisted host, with a total deadline and a size cap.

Nothing is reachable by default: ``pack(allow_hosts=[...])`` names the hosts
(``example.com``, ``example.com:8080`` for one port, ``*.example.com`` for
subdomains). Redirects are followed by hand so every hop is checked against the
allowlist too. The allowlist is by host name: a name that resolves to a private
address is still fetched, so do not allowlist names you do not control.

``timeout`` bounds the whole call (connecting, every redirect, every byte of the
body), not each socket read: a server that sends one byte every half second cannot
hold a call past it. The request runs on its own event loop under ``asyncio.timeout``,
which cancels it wherever it waits.
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import httpx

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from ._common import AccessDenied, positive, registry, shown

MAX_BYTES = 1_000_000
TIMEOUT = 10.0
MAX_REDIRECTS = 5


def host_allowed(url: httpx.URL, allow: frozenset[str]) -> bool:
    """Whether ``url``'s host (optionally with its port) matches an allowlist entry."""
    host = url.host.lower().rstrip(".")
    port = url.port or (443 if url.scheme == "https" else 80)
    for entry in allow:
        name, _, want_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if want_port and str(port) != want_port:
            continue
        if name == host or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def _codec(name: str | None) -> str:
    try:
        return codecs.lookup(name or "utf-8").name
    except LookupError:
        return "utf-8"


def _run(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine to completion from synchronous code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="agentkit-fetch") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def build(
    allow_hosts: Iterable[str] = (),
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Tool]:
    """The ``fetch`` tool for one allowlist (``transport`` lets tests answer without a network)."""
    positive("http", "timeout", timeout, whole=False, at_most=3600)
    positive("http", "max_bytes", max_bytes)
    allow = frozenset(h.strip().lower().rstrip(".") for h in allow_hosts if h.strip())

    def check(url: httpx.URL) -> None:
        if url.scheme not in ("http", "https"):
            raise AccessDenied(f"only http and https URLs can be fetched, not {url.scheme or 'a relative URL'!r}")
        if not host_allowed(url, allow):
            shown = ", ".join(sorted(allow)) or "none"
            raise AccessDenied(f"host {url.host!r} is not in the allowlist (allowed: {shown})")

    async def get(target: httpx.URL) -> dict[str, Any]:
        # trust_env=False: no proxy settings or .netrc credentials from the environment
        async with httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check(target)
                async with client.stream("GET", target, headers={"User-Agent": "agentkit-fetch/0.1"}) as response:
                    if response.is_redirect and "location" in response.headers:
                        target = target.join(response.headers["location"])
                        continue
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            break
                    return {
                        "url": str(target),
                        "status": response.status_code,
                        "content_type": response.headers.get("content-type", ""),
                        "text": bytes(body[:max_bytes]).decode(_codec(response.charset_encoding), errors="replace"),
                        "truncated": len(body) > max_bytes,
                    }
        raise ValueError(f"more than {MAX_REDIRECTS} redirects")

    async def deadline(target: httpx.URL) -> dict[str, Any]:
        try:
            async with asyncio.timeout(timeout):
                return await get(target)
        except TimeoutError:
            raise TimeoutError(f"fetching {str(target)!r} took over {timeout:g}s (the limit for the whole call)") from None
        except httpx.TimeoutException:
            raise TimeoutError(f"fetching {str(target)!r} took over {timeout:g}s") from None
        except httpx.TransportError as exc:
            raise ConnectionError(f"cannot fetch {str(target)!r}: {exc}") from None

    @tool(input_types=["url"], output_types=["text"], cost=1.0, quality=0.8, timeout=timeout + 5)
    def fetch(url: str) -> dict[str, Any]:
        """Download a web page or API response (HTTP GET) from an allowed host and return its text.

        The body is cut at the size limit (``truncated`` says so); redirects to hosts
        outside the allowlist are refused.

        Args:
            url: the http(s) URL to fetch
        """
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid URL {shown(url)}: {exc}") from None
        check(target)  # before any client (and its TLS setup) exists
        return _run(lambda: deadline(target))

    return [fetch]


(fetch,) = build()


def pack(
    allow_hosts: Iterable[str] = (),
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ToolRegistry:
    """The HTTP tool; only ``allow_hosts`` can be reached (none by default)."""
    return registry("http", build(allow_hosts, timeout=timeout, max_bytes=max_bytes, transport=transport))


__all__ = ["build", "fetch", "host_allowed", "pack"]
