"""The page stays live: lost refreshes and a dropped socket recover, many chats in one page.

Real UI server, API, worker and Redis, headless Chromium. The socket is the browser's own
(``<agentjobs-live>``); a "lost refresh" is a Mesop request answered with nothing, as when
the UI server logs ``Unknown handler id`` for it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.stack import RedisServer
from tests.support.ui import (
    live_socket_open,
    open_picker,
    shown_messages,
    start_workflow,
    ui_server,
    wait_for_status,
)

SOAK_CHATS = int(os.environ.get("AGENTJOBS_UI_SOAK_CHATS", "5"))
"""Consecutive chats in one page (the acceptance run sets 50)."""
STUCK_S = 5.0
"""The page may lag the job's end by at most this much."""
RECOVERY_S = 2.5
"""A lost refresh is sent again within 1.5 s; allow one Mesop round trip on top."""


def _logged_messages(api_url: str, job_id: str) -> list[str]:
    page = httpx.get(f"{api_url}/jobs/{job_id}/events", params={"limit": 1000}, timeout=10)
    return [e["content"].strip() for e in page.json()["events"] if e["type"] == "text_message"]


def test_refused_refreshes_recover_by_themselves(page: Page, ui_url: str, api_url: str) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "chatty", Count=10, **{"Pause Ms": 150})
    expect(page.locator(".aj-message").first).to_be_visible()
    refused: list[str] = []

    def refuse(route: Route) -> None:
        # What Mesop answers an event whose handler it cannot find: an empty stream.
        refused.append(route.request.url)
        route.fulfill(status=200, content_type="text/event-stream", body="data: <stream_end>\n\n")

    page.route("**/__ui__", refuse)
    wait_for_status(api_url, job_id, "succeeded")
    page.wait_for_timeout(300)  # the last events reach the page and are refused too
    page.unroute("**/__ui__")
    assert refused, "the page sent the job's events to Mesop while they were refused"
    began = time.monotonic()

    expect(page.locator(".aj-final-succeeded")).to_be_visible(timeout=RECOVERY_S * 1000)
    assert time.monotonic() - began <= RECOVERY_S
    assert shown_messages(page) == [f"message {n}" for n in range(10)]
    assert shown_messages(page) == _logged_messages(api_url, job_id)


def test_a_dropped_socket_reconnects_from_its_cursor(page: Page, ui_url: str, api_url: str) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "chatty", Count=12, **{"Pause Ms": 200})
    expect(page.locator(".aj-message").nth(1)).to_be_visible()
    for _ in range(3):
        page.wait_for_function(live_socket_open)
        page.evaluate("document.querySelector('agentjobs-live')._socket.close()")
        page.wait_for_timeout(300)

    expect(page.locator(".aj-final-succeeded")).to_be_visible()
    assert shown_messages(page) == [f"message {n}" for n in range(12)]
    assert shown_messages(page) == _logged_messages(api_url, job_id)
    expect(page.locator(".aj-final")).to_have_count(1)


def _badges_agree(page: Page) -> None:
    header = page.locator(".aj-status-badge")
    expect(page.locator(".aj-job-current")).to_contain_text(header.inner_text())


def test_sidebar_and_header_show_the_same_status(page: Page, ui_url: str) -> None:
    open_picker(page, ui_url)
    start_workflow(page, "learning_chat")
    expect(page.locator(".aj-status-badge")).to_have_text("Waiting for you")
    _badges_agree(page)
    page.get_by_text("fractions", exact=True).click()
    expect(page.locator(".aj-status-badge")).to_have_text("Finished")
    _badges_agree(page)


@pytest.mark.timeout(60 + 15 * SOAK_CHATS)
def test_many_learning_chats_in_one_page_each_finish(page: Page, ui_url: str, api_url: str) -> None:
    open_picker(page, ui_url)
    lags: list[float] = []
    began = time.monotonic()
    for number in range(SOAK_CHATS):
        if number:
            page.get_by_role("button", name="New chat").click()
            expect(page.locator(".aj-picker")).to_be_visible(timeout=STUCK_S * 1000)
        job_id = start_workflow(page, "learning_chat")
        chip = page.get_by_text("prime numbers", exact=True)
        expect(chip).to_be_visible(timeout=STUCK_S * 1000)
        chip.click()
        wait_for_status(api_url, job_id, "succeeded")
        ended = time.monotonic()
        final = page.locator(".aj-final-succeeded")
        expect(final).to_contain_text("about prime numbers", timeout=STUCK_S * 1000)
        lags.append(time.monotonic() - ended)
        expect(page.locator(".aj-status-badge")).to_have_text("Finished")
        expect(page.locator(".aj-stream")).to_have_count(0)
        assert shown_messages(page) == _logged_messages(api_url, job_id)
    took = time.monotonic() - began
    print(f"\n{SOAK_CHATS} chats in {took:.1f} s; page behind the job's end: max {max(lags):.2f} s")
    assert max(lags) <= STUCK_S


def test_the_browser_reaches_the_api_at_its_own_address(
    page: Page, api_url: str, redis_srv: RedisServer, logs_dir: Path
) -> None:
    # The UI server calls the API at 127.0.0.1; the browser is told another name for it (as
    # compose's ui calls http://api:8008, which no browser can resolve).
    seen_by_browser = api_url.replace("127.0.0.1", "localhost")
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    env = {"AGENTJOBS_BROWSER_API_URL": seen_by_browser}
    with ui_server(api_url, redis_srv.url, logs_dir / "ui-browser-url.log", **env) as ui_url:
        open_picker(page, ui_url)
        job_id = start_workflow(page, "chatty", Count=6, **{"Pause Ms": 200})
        page.wait_for_function(live_socket_open)
        expect(page.locator(".aj-final-succeeded")).to_be_visible()
    assert shown_messages(page) == _logged_messages(api_url, job_id)
    base = seen_by_browser.replace("http://", "ws://")
    assert f"{base}/jobs/{job_id}/ws" in [url.split("?")[0] for url in sockets], sockets
    assert all(url.startswith(base + "/") for url in sockets), sockets
