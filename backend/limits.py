"""ASGI middleware refusing HTTP request bodies over a size limit (413) before anything parses them.

``create_app`` installs it. An app that mounts ``FastAPIAdapter().router`` itself should add it
too, or the routes' own limits (params, answers) only apply after the whole body was read::

    app.add_middleware(BodySizeLimit, max_bytes=ApiSettings().max_body_bytes)
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_FACTOR = 8
"""A declared body up to this many times the limit is read and dropped before the 413: closing a
socket with unread data makes the kernel reset it, and a client still sending then gets a
connection error instead of the answer. A larger one is refused unread (the reset is cheaper
than reading it)."""


class BodySizeLimit:
    """Answers 413 (JSON ``detail``) to an HTTP request whose body is larger than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before the app sees it (the body
    read and dropped first, up to ``DRAIN_FACTOR`` times the limit, so the client reads the
    413). A body sent without one (chunked) is read up to the limit, then handed on intact, or
    refused past it: buffering at most ``max_bytes`` per request is the price of never parsing
    an oversized one.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                if declared <= self.max_bytes * DRAIN_FACTOR:
                    await _discard_body(receive)
                await self._refuse(send)
                return
            # The server stops at Content-Length: the body cannot grow past what was declared.
            await self.app(scope, receive, send)
            return
        buffered = await self._read_within_limit(receive)
        if buffered is None:
            await self._refuse(send)
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _read_within_limit(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they pass the limit."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # a disconnect: let the app see it
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"the request body is larger than {self.max_bytes} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is never read: the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _discard_body(receive: Receive) -> None:
    """Read the request's body to its end (the server stops at its Content-Length), keeping none."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` giving the buffered messages first, then the server's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
