"""The chat UI in headless Chromium against a real UI server, API, worker and Redis.

Only the model is fake (the examples' scripted offline model). Each test saves screenshots in
its own ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from agentjobs.cli.redis_server import free_port
from tests.support.stack import RedisServer, api_server
from tests.support.ui import (
    job_in_url,
    open_picker,
    screenshot,
    shown_messages,
    start_workflow,
    ui_server,
)


def _events(api_url: str, job_id: str, token: str | None = None) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(
        f"{api_url}/jobs/{job_id}/events", params={"limit": 1000}, headers=headers, timeout=10
    )
    response.raise_for_status()
    page = response.json()
    assert page["next_after"] is None, "the test jobs fit in one page"
    events: list[dict[str, Any]] = page["events"]
    return events


def _logged_messages(api_url: str, job_id: str) -> list[str]:
    return [e["content"].strip() for e in _events(api_url, job_id) if e["type"] == "text_message"]


def _status(api_url: str, job_id: str) -> str:
    status: str = httpx.get(f"{api_url}/jobs/{job_id}", timeout=10).json()["status"]
    return status


def test_learning_chat_from_picker_to_final_banner(
    page: Page, ui_url: str, api_url: str, requested: list[str], tmp_path: Path
) -> None:
    open_picker(page, ui_url)
    learning = page.locator(".aj-workflow").filter(
        has=page.get_by_text("learning_chat", exact=True)
    )
    expect(learning).to_contain_text("Teacher")  # the description is shown
    learning.click()
    expect(page.get_by_label("Turns")).to_have_value("4")  # the params form, from the schema
    screenshot(page, tmp_path, "01-picker")

    job_id = start_workflow(page, "learning_chat", Turns=4)
    answer = page.get_by_label("Your answer")
    expect(answer).to_be_enabled()
    expect(page.locator(".aj-status-badge")).to_have_text("Waiting for you")
    expect(page.get_by_text("Pythagorean theorem", exact=True)).to_be_visible()  # a chip
    screenshot(page, tmp_path, "02-question")
    answer.fill("fractions")
    answer.press("Enter")

    expect(page.locator(".aj-final-succeeded")).to_contain_text("about fractions")
    senders = page.locator(".aj-message .aj-sender").all_inner_texts()
    assert {"Student", "Teacher"} <= {s.strip() for s in senders}
    expect(page.locator(".aj-answer")).to_have_text("fractions")
    expect(page.locator(".aj-status-badge")).to_have_text("Finished")
    # The job's model use (the scripted offline model counts its tokens too).
    expect(page.locator(".aj-usage")).to_contain_text("4 model calls")
    expect(answer).to_be_disabled()  # nothing is pending any more
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator(".aj-job-current")).to_contain_text("Finished")  # the sidebar
    # The Teacher streams: its chunks were replaced by its final messages, each shown once
    # (and once a message is complete, the log keeps no chunk of it).
    assert not any(e["type"] == "stream_chunk" for e in _events(api_url, job_id))
    expect(page.locator(".aj-stream")).to_have_count(0)
    assert shown_messages(page) == _logged_messages(api_url, job_id)
    screenshot(page, tmp_path, "03-finished")

    outside = [url for url in requested if not url.startswith(ui_url)]
    assert outside == [], "the page must load nothing from outside the deployment"


def test_reload_mid_run_continues_without_duplicates(
    page: Page, ui_url: str, api_url: str, tmp_path: Path
) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "chatty", Count=12, **{"Pause Ms": 700})
    expect(page.locator(".aj-message").nth(2)).to_be_visible()
    assert _status(api_url, job_id) == "running", "the reload must happen mid-run"
    screenshot(page, tmp_path, "01-before-reload")

    page.reload()

    assert job_in_url(page) == job_id
    expect(page.locator(".aj-final-succeeded")).to_be_visible()
    screenshot(page, tmp_path, "02-after-reload")
    assert shown_messages(page) == [f"message {n}" for n in range(12)]
    assert shown_messages(page) == _logged_messages(api_url, job_id)
    expect(page.locator(".aj-final")).to_have_count(1)
    expect(page.locator(".aj-status")).to_have_count(2)  # queued, started: each once


def test_multiple_choice_by_click_and_tool_blocks(
    page: Page, ui_url: str, api_url: str, tmp_path: Path
) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "trip_planner", Days=2)
    expect(page.get_by_role("button", name="Paris (suggested)")).to_be_visible()
    expect(page.get_by_label("Your answer")).to_have_count(0)  # buttons, not a text box
    page.get_by_role("button", name="Tokyo").click()

    answer = page.get_by_label("Your answer")
    expect(answer).to_be_enabled()  # the Traveler is asked about the plan
    expect(page.locator(".aj-answer").first).to_have_text("Tokyo")
    expect(page.locator(".aj-message").last).to_contain_text("2-day plan for Tokyo")
    result = page.locator(".aj-tool_result")
    expect(result).to_contain_text("get_weather returned")
    expect(result.locator(".aj-detail")).to_have_count(0)  # compact until opened
    result.click()
    expect(result.locator(".aj-detail")).to_contain_text("Tokyo: ")  # the tool's forecast
    # Tool blocks mirror the log. (The worker sometimes logs no tool_call for this run: a
    # bridge race, reported; the page must show exactly what was logged either way.)
    logged = [e["type"] for e in _events(api_url, job_id)]
    expect(page.locator(".aj-tool_call")).to_have_count(logged.count("tool_call"))
    if "tool_call" in logged:
        expect(page.locator(".aj-tool_call")).to_contain_text("Planner called get_weather")
    expect(page.locator(".aj-progress").first).to_contain_text("Choosing a destination")
    screenshot(page, tmp_path, "01-running")

    answer.fill("Sounds perfect")
    answer.press("Enter")
    expect(page.locator(".aj-final-succeeded")).to_contain_text("Sounds perfect")
    assert _status(api_url, job_id) == "succeeded"


def test_cancel_a_running_job_with_the_button(
    page: Page, ui_url: str, api_url: str, tmp_path: Path
) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "chatty", Count=1000, **{"Pause Ms": 100})
    expect(page.locator(".aj-message").nth(2)).to_be_visible()
    expect(page.locator(".aj-status-badge")).to_have_text("Running")

    page.get_by_role("button", name="Cancel").click()

    expect(page.locator(".aj-final-cancelled")).to_contain_text("Cancelled by")
    expect(page.locator(".aj-status-badge")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    assert _status(api_url, job_id) == "cancelled"
    screenshot(page, tmp_path, "01-cancelled")


def test_api_outage_shows_a_calm_message_and_recovers(
    page: Page, redis_srv: RedisServer, worker_proc: None, logs_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    with ui_server(api_url, redis_srv.url, logs_dir / "ui-outage.log") as ui_url:
        with api_server(redis_srv.url, logs_dir / "api-outage-1.log", port=port):
            open_picker(page, ui_url)
            job_id = start_workflow(page, "chatty", Count=25, **{"Pause Ms": 300})
            expect(page.locator(".aj-message").nth(1)).to_be_visible()

        # The API is gone; the worker keeps running the job.
        banner = page.locator(".aj-unreachable")
        expect(banner).to_contain_text(f"Can't reach the agentjobs API at {api_url}")
        expect(page.locator(".aj-final")).to_have_count(0)
        screenshot(page, tmp_path, "01-unreachable")

        with api_server(redis_srv.url, logs_dir / "api-outage-2.log", port=port):
            expect(banner).to_have_count(0)
            expect(page.locator(".aj-final-succeeded")).to_be_visible()
            screenshot(page, tmp_path, "02-recovered")
            assert shown_messages(page) == [f"message {n}" for n in range(25)]
            assert shown_messages(page) == _logged_messages(api_url, job_id)
