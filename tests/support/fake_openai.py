"""A tiny OpenAI-compatible server for tests: real ``openai`` client code, no network, no key.

It answers ``POST /v1/chat/completions`` (plain and ``stream: true``) with predictable replies:
a tool call when the request offers tools and the conversation has no tool result yet,
otherwise ``"[fake-openai] reply N to <model>: <first 40 chars of the last user message>"``.
Every request it receives is recorded, so tests can check what the client sent, with its arrival
time (``max_in_window``); the usage of every answer it delivered to a client still connected is
``reported``. ``fail_next`` makes it answer 429 (or another status) with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from agentjobs.cli.redis_server import free_port

MARKER = "[fake-openai]"
"""Every text reply starts with this."""
CITIES = ["Paris", "Tokyo", "Lisbon"]
"""The cities a ``city`` tool argument is picked from (the first one named in the message)."""

Body = dict[str, Any]


@dataclass(frozen=True)
class Received:
    """One request the server answered."""

    body: Body
    headers: dict[str, str]


@dataclass
class FakeOpenAI:
    """A running fake server: where it listens and what it was asked."""

    base_url: str
    delay: float = 0.0
    """Seconds each completion takes, so a test can act while a call is in flight."""
    _received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _arrivals: list[float] = field(default_factory=list)
    _reported: list[Body] = field(default_factory=list)
    _failures: list[tuple[int, float]] = field(default_factory=list)

    def fail_next(self, count: int, status: int = 429, retry_after: float = 1.0) -> None:
        """Answer the next ``count`` requests with ``status`` and ``Retry-After``."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * count)

    @property
    def reported(self) -> list[Body]:
        """The ``usage`` of each completion delivered to a client still connected."""
        with self._lock:
            return list(self._reported)

    def reported_totals(self) -> tuple[int, int, int]:
        """Calls, prompt tokens and completion tokens of the delivered completions."""
        usages = self.reported
        prompt = sum(u["prompt_tokens"] for u in usages)
        return len(usages), prompt, sum(u["completion_tokens"] for u in usages)

    def max_in_window(self, seconds: float, first: int = 0) -> int:
        """The most requests (from the ``first``-th received on) that arrived within any
        ``seconds`` long window."""
        with self._lock:
            times = sorted(self._arrivals[first:])
        most, start = 0, 0
        for end, when in enumerate(times):
            while when - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _take_failure(self) -> tuple[int, float] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _report(self, usage: Body) -> None:
        with self._lock:
            self._reported.append(usage)

    @property
    def requests(self) -> list[Body]:
        """The JSON bodies received so far, oldest first."""
        return [r.body for r in self.received]

    @property
    def received(self) -> list[Received]:
        """Bodies and headers received so far, oldest first."""
        with self._lock:
            return list(self._received)

    def _record(self, body: Body, headers: dict[str, str]) -> int:
        with self._lock:
            self._received.append(Received(body, headers))
            self._arrivals.append(time.monotonic())
            return next(self._counter)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _last_user_text(messages: list[Body]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _tool_arguments(tool: Body, conversation: str) -> dict[str, str]:
    params = tool.get("function", {}).get("parameters", {})
    names = params.get("required") or list(params.get("properties", {}))
    arguments: dict[str, str] = {}
    for name in names:
        if name == "city":
            arguments[name] = next((c for c in CITIES if c in conversation), CITIES[0])
        else:
            arguments[name] = conversation[:40]
    return arguments


def _answer(body: Body, number: int) -> tuple[str | None, Body | None]:
    """(text, None) or (None, tool_call) for this request."""
    messages: list[Body] = body.get("messages", [])
    last_user = _last_user_text(messages)
    tools = body.get("tools") or []
    if tools and not any(m.get("role") == "tool" for m in messages):
        tool = tools[0]
        call = {
            "id": f"call_fake_{number}",
            "type": "function",
            "function": {
                "name": tool["function"]["name"],
                "arguments": json.dumps(_tool_arguments(tool, last_user)),
            },
        }
        return None, call
    return f"{MARKER} reply {number} to {body.get('model')}: {last_user[:40]}", None


def _usage(body: Body, text: str) -> Body:
    prompt = sum(len(_text_of(m.get("content")).split()) for m in body.get("messages", []))
    completion = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(body: Body, number: int) -> Body:
    text, call = _answer(body, number)
    message: Body = {"role": "assistant", "content": text}
    if call is not None:
        message["tool_calls"] = [call]
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if call else "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(body, text or json.dumps(call)),
    }


def _chunks(body: Body, number: int) -> Iterator[Body]:
    text, call = _answer(body, number)
    base = {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model"),
    }

    def chunk(delta: Body, finish: str | None = None) -> Body:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    if call is not None:
        yield chunk({"tool_calls": [{"index": 0, **call}]})
        yield chunk({}, "tool_calls")
    else:
        assert text is not None
        words = text.split(" ")
        for i, word in enumerate(words):
            yield chunk({"content": word if i == len(words) - 1 else word + " "})
        yield chunk({}, "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(body, text or json.dumps(call))}


def create_app(state: FakeOpenAI) -> FastAPI:
    """The FastAPI app serving ``state``."""
    app = FastAPI()

    @app.post("/v1/chat/completions", response_model=None)
    async def completions(request: Request) -> JSONResponse | StreamingResponse:
        body: Body = await request.json()
        number = state._record(body, dict(request.headers))
        failure = state._take_failure()
        if failure is not None:
            status, retry_after = failure
            error = {"error": {"message": "fake failure", "type": "rate_limit", "code": status}}
            return JSONResponse(error, status, headers={"retry-after": f"{retry_after:g}"})
        if state.delay:
            await asyncio.sleep(state.delay)
        # A client that went away meanwhile (a killed worker) never gets this answer.
        delivered = not await request.is_disconnected()
        if not body.get("stream"):
            completion = _completion(body, number)
            if delivered:
                state._report(completion["usage"])
            return JSONResponse(completion)

        def sse() -> Iterator[str]:
            for item in _chunks(body, number):
                if item.get("usage") and delivered:
                    state._report(item["usage"])
                yield f"data: {json.dumps(item)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream")

    return app


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """Serve a fresh fake on a free loopback port (uvicorn in a thread) for the block."""
    port = free_port()
    state = FakeOpenAI(base_url=f"http://127.0.0.1:{port}/v1")
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-openai", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.02)
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(10)
