"""``fetch``: HTTP GET of an allowlisted host, with a timeout and a size cap.

Nothing is reachable by default: ``pack(allow_hosts=[...])`` names the hosts
(``example.com``, ``example.com:8080`` for one port, ``*.example.com`` for
subdomains). Redirects are followed by hand so every hop is checked against the
allowlist too. The allowlist is by host name: a name that resolves to a private
address is still fetched, so do not allowlist names you do not control.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from typing import Any

import httpx

from agentkit.registry import ToolRegistry
from agentkit.tool import Tool, tool

from ._common import AccessDenied, registry

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


def build(
    allow_hosts: Iterable[str] = (),
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> list[Tool]:
    """The ``fetch`` tool for one allowlist (``transport`` lets tests answer without a network)."""
    allow = frozenset(h.strip().lower().rstrip(".") for h in allow_hosts if h.strip())

    def check(url: httpx.URL) -> None:
        if url.scheme not in ("http", "https"):
            raise AccessDenied(f"only http and https URLs can be fetched, not {url.scheme or 'a relative URL'!r}")
        if not host_allowed(url, allow):
            shown = ", ".join(sorted(allow)) or "none"
            raise AccessDenied(f"host {url.host!r} is not in the allowlist (allowed: {shown})")

    @tool(input_types=["url"], output_types=["text"], cost=1.0, quality=0.8, timeout=timeout * (MAX_REDIRECTS + 1) + 5)
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
            raise ValueError(f"invalid URL {url!r}: {exc}") from None
        check(target)  # before any client (and its TLS setup) exists
        # trust_env=False: no proxy settings or .netrc credentials from the environment
        with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check(target)
                with client.stream("GET", target, headers={"User-Agent": "agentkit-fetch/0.1"}) as response:
                    if response.is_redirect and "location" in response.headers:
                        target = target.join(response.headers["location"])
                        continue
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            break
                    encoding = _codec(response.charset_encoding)
                    return {
                        "url": str(target),
                        "status": response.status_code,
                        "content_type": response.headers.get("content-type", ""),
                        "text": bytes(body[:max_bytes]).decode(encoding, errors="replace"),
                        "truncated": len(body) > max_bytes,
                    }
        raise ValueError(f"more than {MAX_REDIRECTS} redirects")

    return [fetch]


(fetch,) = build()


def pack(
    allow_hosts: Iterable[str] = (),
    *,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> ToolRegistry:
    """The HTTP tool; only ``allow_hosts`` can be reached (none by default)."""
    return registry("http", build(allow_hosts, timeout=timeout, max_bytes=max_bytes, transport=transport))


__all__ = ["build", "fetch", "host_allowed", "pack"]
