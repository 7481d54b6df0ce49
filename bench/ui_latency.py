"""UI latency: from the worker making an event to its text in the chat page's DOM, and idle cost.

A real ``agentjobs ui`` on the stack's API and Debian's headless Chromium. The page attaches
to a gated ``bench_stream`` job (so it is live before the first token), then the job streams
``w0 w1 ...`` at a pace. A MutationObserver in the page notes the wall clock at which each
token's text first appears; the event's ``ts`` (taken in the worker just before the publish)
comes from a watcher on the job's own WebSocket (stream chunks are live only: the log keeps the
finished message, not its chunks). Both clocks are this machine's. At idle the page's HTTP
requests to the UI server are counted: while a job waits for an answer, and once it has finished.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright
from websockets.sync.client import connect

from agentjobs.protocol import TERMINAL_TYPES
from bench.stack import BenchEnv, Stack
from bench.stats import summary
from tests.support.client import ws_url
from tests.support.ui import launch_chromium, ui_server

RATES = (5, 50)
"""Events per second of the two measured streams: a chat's pace, and token streaming."""

_OBSERVE = """
() => {
  window.__seen = {};
  let top = -1;
  const look = () => {
    const bodies = document.querySelectorAll('.aj-stream .aj-body, .aj-message .aj-body');
    if (!bodies.length) return;
    const text = bodies[bodies.length - 1].textContent;
    const match = text.match(/w(\\d+)\\s*$/);
    if (!match) return;
    const n = Number(match[1]);
    const now = performance.timeOrigin + performance.now();
    for (let i = top + 1; i <= n; i++) window.__seen[i] = now;
    top = Math.max(top, n);
  };
  new MutationObserver(look).observe(document.body,
    {subtree: true, childList: true, characterData: true});
}
"""
_LIVE = "() => document.querySelector('agentjobs-live')?._socket?.readyState === 1"


def _start(http: httpx.Client, count: int, pause_ms: int) -> str:
    body = {"workflow": "bench_stream", "params": {"count": count, "pause_ms": pause_ms}}
    response = http.post("/jobs", json=body)
    response.raise_for_status()
    job_id: str = response.json()["job_id"]
    return job_id


class _ChunkWatcher:
    """Reads the job's socket on a thread of its own: every ``stream_chunk`` as it is relayed."""

    def __init__(self, api_url: str, job_id: str) -> None:
        self.chunks: list[dict[str, Any]] = []
        self._conn = connect(ws_url(api_url, job_id), open_timeout=60)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self._conn:
            for raw in self._conn:
                event = json.loads(raw)
                if event["type"] == "stream_chunk":
                    self.chunks.append(event)
                elif event["type"] in TERMINAL_TYPES:
                    return

    def result(self, timeout: float) -> list[dict[str, Any]]:
        """The chunks, once the job's end came (raises if it did not within ``timeout``)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the job's socket never showed its end")
        return self.chunks


def _attach(page: Page, ui_url: str, job_id: str) -> None:
    """Open the page on the job and wait until its question shows and its socket is open."""
    page.goto(f"{ui_url}/?job={job_id}")
    page.locator(".aj-question").wait_for(timeout=30_000)
    page.wait_for_function(_LIVE, timeout=30_000)


def _answer(http: httpx.Client, job_id: str) -> None:
    for _ in range(100):
        pending = http.get(f"/jobs/{job_id}").json().get("pending")
        if pending:
            body = {"request_id": pending["request_id"], "value": "go"}
            http.post(f"/jobs/{job_id}/input", json=body).raise_for_status()
            return
        time.sleep(0.05)
    raise RuntimeError(f"job {job_id} never asked")


def _stream(page: Page, ui_url: str, http: httpx.Client, rate: int, seconds: float) -> list[float]:
    """One paced stream; each token's latency from its event's ``ts`` to the DOM, in ms."""
    count = max(int(rate * seconds), 5)
    job_id = _start(http, count, round(1000 / rate))
    watcher = _ChunkWatcher(str(http.base_url).rstrip("/"), job_id)
    _attach(page, ui_url, job_id)
    page.evaluate(_OBSERVE)
    _answer(http, job_id)
    page.locator(".aj-final-succeeded").wait_for(timeout=seconds * 1000 + 60_000)
    seen: dict[str, float] = page.evaluate("window.__seen")
    chunks = watcher.result(timeout=30)
    if len(chunks) != count:
        raise RuntimeError(f"the job's socket relayed {len(chunks)} of {count} tokens")
    latencies = []
    for number, event in enumerate(chunks):
        at = seen.get(str(number))
        if at is not None:
            latencies.append(at - datetime.fromisoformat(event["ts"]).timestamp() * 1000)
    if len(latencies) < len(chunks):
        raise RuntimeError(f"{len(chunks) - len(latencies)} of {len(chunks)} tokens never showed")
    return latencies


def _requests_per_s(page: Page, ui_url: str, seconds: float) -> float:
    seen: list[str] = []

    def note(request: Any) -> None:
        if request.url.startswith(ui_url):
            seen.append(request.url)

    page.on("request", note)
    page.wait_for_timeout(seconds * 1000)
    page.remove_listener("request", note)
    return round(len(seen) / seconds, 3)


def _idle(page: Page, ui_url: str, http: httpx.Client, seconds: float) -> dict[str, float]:
    waiting = _start(http, 1, 0)
    _attach(page, ui_url, waiting)
    page.wait_for_timeout(500)  # let the attach's own requests finish
    asking = _requests_per_s(page, ui_url, seconds)
    _answer(http, waiting)
    page.locator(".aj-final-succeeded").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    finished = _requests_per_s(page, ui_url, seconds)
    return {"waiting_for_answer": asking, "finished": finished}


def bench_ui_latency(env: BenchEnv, stack: Stack | None) -> dict[str, Any]:
    """p50/p95 of event -> text in the page's DOM at 5 and 50 events/s; idle requests/s."""
    assert stack is not None
    seconds = 3.0 if env.quick else 20.0
    idle_seconds = 3.0 if env.quick else 10.0
    results: dict[str, Any] = {"seconds_per_stream": seconds}
    log = env.logs / "ui-latency-ui.log"
    with (
        ui_server(stack.api_url, stack.redis_url, log) as ui_url,
        httpx.Client(base_url=stack.api_url, timeout=30) as http,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            _stream(page, ui_url, http, 50, 1.0)  # warm-up: Mesop's first renders, imports
            for rate in RATES:
                results[f"at_{rate}_per_s"] = {
                    "latency_ms": summary(_stream(page, ui_url, http, rate, seconds), 1)
                }
            results["idle_requests_per_s"] = _idle(page, ui_url, http, idle_seconds)
        finally:
            browser.close()
    return results
