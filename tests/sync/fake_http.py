"""The HTTP plumbing every fake platform API shares: a real server on 127.0.0.1 in a thread,
each request read into a :class:`Request` and recorded, JSON answers, and the ways a platform
misbehaves on the wire (a throttled answer, a connection cut before any answer, a body cut
short).

Each platform's own rules (authentication, paging, error shapes, which request is spoiled and
how) stay in its server module; only what is the same for all of them lives here.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], bytes]
"""Status, headers and body of one answer."""
D = TypeVar("D")


@dataclass(frozen=True)
class Request:
    """One request as the fake saw it; header names are lower-cased."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""
    target: str = ""
    """The request target as sent: path and query string."""

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def params(self) -> dict[str, str]:
        """The query with each parameter's first value, for APIs that never repeat one."""
        return {name: values[0] for name, values in self.query.items()}


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(data).encode(),
    )


def read_request(handler: BaseHTTPRequestHandler) -> Request:
    """The request ``handler`` is answering, its body read when it declares one."""
    url = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    return Request(
        url.path,
        parse_qs(url.query, keep_blank_values=True),
        {k.lower(): v for k, v in handler.headers.items()},
        handler.command,
        handler.rfile.read(length) if length else b"",
        handler.path,
    )


def send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Write ``reply``; a 204 carries neither body nor length, as HTTP requires."""
    status, headers, body = reply
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    if status != 204:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if status != 204:
        handler.wfile.write(body)


def drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without answering: the client sees it cut, no response."""
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def cut_short(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    """Start ``reply`` (status, headers, full length) and close after half its body."""
    status, headers, body = reply
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.wfile.flush()
    drop(handler)


@contextmanager
def serve(
    answer: Callable[[BaseHTTPRequestHandler], None],
    *,
    methods: Sequence[str] = ("GET",),
    keep_alive: bool = True,
) -> Iterator[str]:
    """Serve on a free loopback port for the block, calling ``answer`` for each request of
    ``methods``; yields the base URL. ``keep_alive=False`` speaks HTTP/1.0, closing the
    connection after every answer."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def respond(self) -> None:
            answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            return

    for method in methods:
        setattr(Handler, f"do_{method}", Handler.respond)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass
class FakeApi:
    """A platform API: ``route`` answers a request; ``faults[n]`` spoils the n-th (1-based):
    ``"throttle"`` answers ``throttled`` (the platform's 429), ``"drop"`` closes the connection
    without an answer, ``"cut"`` closes it half-way through the real answer's body."""

    route: Callable[[Request], Reply]
    throttled: Reply
    faults: dict[int, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        request = read_request(handler)
        with self._lock:
            self.requests.append(request)
            fault = self.faults.pop(len(self.requests), None)
        if fault == "drop":
            drop(handler)
        elif fault == "throttle":
            send(handler, self.throttled)
        elif fault == "cut":
            cut_short(handler, self.route(request))
        else:
            send(handler, self.route(request))

    def running(self) -> AbstractContextManager[str]:
        """Serve on a free loopback port for the block; yields the base URL."""
        return serve(self.answer)


@contextmanager
def serving(api: Callable[[D], FakeApi], data: D) -> Iterator[tuple[str, FakeApi, D]]:
    """Serve ``data`` through the platform's ``api`` for the block; yields the base URL, the
    fake (to script faults and read requests) and the data (to change what it answers)."""
    fake = api(data)
    with fake.running() as url:
        yield url, fake, data
