"""fetch: only allowlisted hosts are reached, in any spelling, across redirects, and within one total deadline.

Every test talks to a real HTTP server on 127.0.0.1 that counts the requests it gets.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
from contextlib import contextmanager
from typing import ClassVar

import pytest
from agentkit.tools import AccessDenied, load_pack
from agentkit.tools import http as http_pack

from agentkit import ConfigError


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict] = {}

    def do_GET(self):
        self.server.hits.append(self.path)
        self.routes.get(self.path, _Handler.ok)(self)

    def ok(self, body=b"hello"):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def _server(routes=None):
    handler = type("Handler", (_Handler,), {"routes": routes or {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# -- SSRF: other spellings of the loopback address ------------------------------------------


@pytest.mark.parametrize("form", [
    "http://api.example.com@127.0.0.1:{port}/",  # userinfo
    "http://api.example.com:x@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}#@api.example.com/",
    "http://2130706433:{port}/",  # decimal
    "http://0177.0.0.1:{port}/",  # octal
    "http://0x7f000001:{port}/",  # hex
    "http://0x7f.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://[::1]:{port}/",  # IPv6 loopback
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://localhost:{port}/",
    "http://api.example.com.127.0.0.1.nip.io:{port}/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_GET",
])  # fmt: skip
def test_loopback_in_any_spelling_is_refused_without_a_request(form):
    with _server() as (server, port):
        fetch = http_pack.pack(["api.example.com"], timeout=2)["fetch"]
        with pytest.raises((AccessDenied, ValueError)):
            fetch(url=form.format(port=port))
        assert server.hits == []


# -- redirects ------------------------------------------------------------------------------


def test_an_allowed_redirect_is_followed():
    with _server({"/hop": lambda h: h.redirect("/final")}) as (server, port):
        result = http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/hop")
        assert (result["text"], result["url"], server.hits) == ("hello", f"http://127.0.0.1:{port}/final", ["/hop", "/final"])


@pytest.mark.parametrize("location", ["http://localhost:{port}/", "http://127.0.0.1:{other}/", "http://2130706433:{port}/",
                                      "file:///etc/passwd", "http://api.example.com@127.0.0.1:{other}/"])  # fmt: skip
def test_a_redirect_off_the_allowlist_is_refused(location):
    with _server() as (other_server, other):
        routes = {"/go": lambda h: h.redirect(location.format(port=h.server.server_address[1], other=other))}
        with _server(routes) as (server, port), pytest.raises(AccessDenied):
            http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/go")
        assert server.hits == ["/go"] and other_server.hits == []


def test_a_redirect_loop_ends_after_the_redirect_limit():
    with _server({"/loop": lambda h: h.redirect("/loop")}) as (server, port):
        with pytest.raises(ValueError, match=f"more than {http_pack.MAX_REDIRECTS} redirects"):
            http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/loop")
        assert len(server.hits) == http_pack.MAX_REDIRECTS + 1


# -- the deadline covers the whole call -----------------------------------------------------


def _trickle(head: bytes, body: bytes):
    """A handler that sends ``head`` at once, then ``body`` one byte every 0.5 s (20 s for 40 bytes)."""

    def handle(h):
        try:
            h.wfile.write(head)
            h.wfile.flush()
            for byte in body:
                time.sleep(0.5)
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
        except OSError:  # the client gave up: what the test wants
            pass

    return handle


def test_a_body_sent_one_byte_per_half_second_hits_the_total_deadline():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\nContent-Type: text/plain\r\n\r\n"
    # a per-read timeout would wait the full 20 s and succeed
    with _server({"/slow": _trickle(head, b"x" * 40)}) as (_, port), pytest.raises(TimeoutError, match="over 2s"):
        http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/slow")


def test_headers_sent_one_byte_per_half_second_hit_the_total_deadline():
    slow = _trickle(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    with _server({"/slow": slow}) as (_, port), pytest.raises(TimeoutError, match="over 2s"):
        http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/slow")


# -- size ------------------------------------------------------------------------------------


def test_a_compressed_body_is_cut_at_the_size_cap_after_decoding():
    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 KB on the wire, 20 MB decoded

    def send(h):
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)

    with _server({"/bomb": send}) as (_, port):
        result = http_pack.pack([f"127.0.0.1:{port}"], timeout=5, max_bytes=1000)["fetch"](url=f"http://127.0.0.1:{port}/bomb")
        assert len(result["text"]) == 1000 and result["truncated"]


@pytest.mark.parametrize("option", [{"timeout": 0}, {"timeout": -1}, {"timeout": float("inf")}, {"max_bytes": 0}])
def test_out_of_range_http_options_are_config_errors(option):
    with pytest.raises(ConfigError, match="must be"):
        load_pack("http", allow_hosts=["example.com"], **option)


async def test_fetch_called_directly_inside_an_event_loop_still_answers():
    with _server() as (_, port):
        result = http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"](url=f"http://127.0.0.1:{port}/")
    assert result["text"] == "hello"


async def test_fetch_through_the_tool_interface_answers():
    with _server() as (_, port):
        result = await http_pack.pack([f"127.0.0.1:{port}"], timeout=2)["fetch"].acall({"url": f"http://127.0.0.1:{port}/"})
    assert result["status"] == 200
