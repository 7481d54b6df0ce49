"""The job list: filtered by status, and a finished job removed from it (and from the API)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.support.ui import open_picker, start_workflow, wait_for_status


def _row(page: Page, job_id: str) -> Locator:
    return page.locator(".aj-job-row").filter(has_text=job_id[:8])


def test_filter_by_status_and_remove_a_finished_job(page: Page, ui_url: str, api_url: str) -> None:
    open_picker(page, ui_url)
    done = start_workflow(page, "chatty", Count=1)
    expect(page.locator(".aj-final-succeeded")).to_be_visible()
    page.get_by_role("button", name="New chat").click()
    waiting = start_workflow(page, "learning_chat")
    expect(page.locator(".aj-status-badge")).to_have_text("Waiting for you")
    expect(_row(page, done)).to_have_count(1)
    expect(_row(page, waiting).locator(".aj-job-remove")).to_have_count(0)  # unfinished

    filters = page.locator(".aj-job-filter")
    filters.get_by_text("Waiting for you", exact=True).click()
    expect(_row(page, waiting)).to_have_count(1)
    expect(_row(page, done)).to_have_count(0)
    filters.get_by_text("Finished", exact=True).click()
    expect(_row(page, done)).to_have_count(1)
    expect(_row(page, waiting)).to_have_count(0)

    _row(page, done).locator(".aj-job-remove").click()
    expect(_row(page, done)).to_have_count(0)
    assert httpx.get(f"{api_url}/jobs/{done}", timeout=10).status_code == 404
    filters.get_by_text("All", exact=True).click()
    expect(_row(page, waiting)).to_have_count(1)
    expect(_row(page, done)).to_have_count(0)
    expect(page.locator(".aj-status-badge")).to_have_text("Waiting for you")  # still attached

    page.get_by_text("fractions", exact=True).click()
    wait_for_status(api_url, waiting, "succeeded")
    _row(page, waiting).locator(".aj-job-remove").click()  # the attached job: back to picking
    expect(page.locator(".aj-picker")).to_be_visible()
    expect(_row(page, waiting)).to_have_count(0)
