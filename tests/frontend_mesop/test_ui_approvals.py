"""The page and humans in the loop, in headless Chromium: a tool approval edited and run from
the page, and the inbox whose count follows new requests without a reload."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.support.ui import screenshot, wait_for_status


def _start(api_url: str, workflow: str, **params: object) -> str:
    reply = httpx.post(f"{api_url}/jobs", json={"workflow": workflow, "params": params}, timeout=10)
    assert reply.status_code == 202, reply.text
    job_id: str = reply.json()["job_id"]
    return job_id


def _inbox_count(api_url: str) -> int:
    count: int = httpx.get(f"{api_url}/inbox", timeout=10).json()["count"]
    return count


def test_a_tool_call_edited_and_run_from_the_page(
    page: Page, ui_url: str, api_url: str, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    job_id = _start(api_url, "approval_team", counter_path=str(counter), amount=2)
    wait_for_status(api_url, job_id, "awaiting_input")
    page.goto(f"{ui_url}/?job={job_id}")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    arguments = page.get_by_label(re.compile("Arguments of add_to_counter"))
    expect(arguments).to_have_value('{"amount": 2}')
    screenshot(page, tmp_path, "01-approval")
    arguments.fill('{"amount": "many"}')
    arguments.press("Tab")
    page.get_by_role("button", name="Edit and run").click()
    expect(page.locator(".aj-notice")).to_contain_text("arguments.amount")  # the API's 422
    arguments.fill('{"amount": 9}')
    arguments.press("Tab")
    page.get_by_role("button", name="Edit and run").click()
    expect(page.locator(".aj-final-succeeded")).to_be_visible()
    assert counter.read_text().split() == ["9"]


def test_the_inbox_count_follows_new_requests_and_opens_one(
    page: Page, ui_url: str, api_url: str, tmp_path: Path
) -> None:
    page.goto(ui_url)
    toggle = page.locator("button").filter(has_text=re.compile(r"^\s*Inbox"))
    expect(toggle).to_be_visible()
    before = _inbox_count(api_url)
    job_id = _start(api_url, "deadline_question", timeout=120, default=None)
    wait_for_status(api_url, job_id, "awaiting_input")
    after = _inbox_count(api_url)
    assert after == before + 1
    # No reload: the inbox socket pushes the new count (polling only if it were down).
    expect(toggle).to_have_text(re.compile(rf"Inbox \({after}\)"), timeout=15_000)
    toggle.click()
    rows = page.locator(".aj-inbox").get_by_text("Ship it?")
    expect(rows.last).to_be_visible()
    screenshot(page, tmp_path, "02-inbox")
    rows.last.click()  # oldest first: the newest request is the last row
    expect(page).to_have_url(re.compile(f"job={job_id}"))
    answer = page.get_by_label("Your answer")
    expect(answer).to_be_enabled()
    answer.fill("ship")
    answer.press("Enter")
    expect(page.locator(".aj-final-succeeded")).to_contain_text("ship")
