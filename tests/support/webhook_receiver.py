"""A real local webhook receiver (``http.server`` on 127.0.0.1) that records what it is sent,
and can go down and come back on the same port."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agentjobs.cli.redis_server import free_port


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: str


class WebhookReceiver:
    """Records every POST; ``stop`` closes the port (connections refused), ``start`` reopens it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        """The receiver's URL at ``path``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        """Listen (again) on the receiver's port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                self.send_response(204)
                self.end_headers()
                with receiver._changed:
                    receiver.received.append(Received(self.path, headers, body))
                    receiver._changed.notify_all()

            def log_message(self, *_: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening: senders get connection refused until ``start``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float) -> None:
        """Block until ``condition(received)`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(list(self.received)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the webhooks did not arrive in time")
                self._changed.wait(left)
