"""The chat UI's other inputs (several choices, a password, a token) and its narrow layout."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.support.stack import RedisServer, api_server
from tests.support.ui import open_picker, screenshot, shown_messages, start_workflow, ui_server


def test_several_choices_are_ticked_then_sent(page: Page, ui_url: str, api_url: str) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "pick_many")
    send = page.get_by_role("button", name="Send choices")
    expect(send).to_be_disabled()  # nothing ticked yet
    page.locator(".aj-composer").get_by_text("cheese", exact=True).click()
    page.locator(".aj-composer").get_by_text("olives", exact=True).click()
    expect(page.locator(".aj-composer").get_by_text("✓ olives")).to_be_visible()
    send.click()
    expect(page.locator(".aj-answer")).to_have_text("cheese, olives")
    expect(page.locator(".aj-final-succeeded")).to_be_visible()
    record = httpx.get(f"{api_url}/jobs/{job_id}", timeout=10).json()
    assert record["result"] == ["cheese", "olives"]


def test_a_password_question_gets_a_masked_box(page: Page, ui_url: str) -> None:
    open_picker(page, ui_url)
    start_workflow(page, "secret_echo")
    box = page.get_by_label("Your answer")
    expect(box).to_have_attribute("type", "password")
    box.fill("hunter22")
    box.press("Enter")
    expect(page.locator(".aj-final-succeeded")).to_contain_text("8 characters")
    expect(page.locator(".aj-answer")).not_to_contain_text("hunter22")


def test_sign_in_when_the_api_wants_a_token(
    page: Page, redis_srv: RedisServer, worker_proc: None, logs_dir: Path, tmp_path: Path
) -> None:
    tokens = "tok-alice-0123456789:alice"
    with (
        api_server(
            redis_srv.url, logs_dir / "api-ui-tokens.log", AGENTJOBS_API_TOKENS=tokens
        ) as api,
        ui_server(api, redis_srv.url, logs_dir / "ui-tokens.log") as ui_url,
    ):
        page.goto(ui_url)
        token = page.get_by_label("API token")
        expect(token).to_have_attribute("type", "password")
        screenshot(page, tmp_path, "01-sign-in")
        token.fill("not-a-token")
        token.press("Enter")
        expect(page.locator(".aj-sign-in-error")).to_contain_text("not accepted")

        token = page.get_by_label("API token")
        token.fill("tok-alice-0123456789")
        token.press("Enter")
        expect(page.locator(".aj-picker")).to_be_visible()
        start_workflow(page, "whoami")  # every later call carries the token
        expect(page.locator(".aj-final-succeeded")).to_contain_text("alice")
        expect(page.locator(".aj-job-current")).to_contain_text("whoami")


def test_readable_in_a_400_px_window(browser: Browser, ui_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 400, "height": 800})
    page = context.new_page()
    try:
        open_picker(page, ui_url)
        expect(page.locator(".aj-sidebar")).to_have_count(0)  # folded behind a button
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        screenshot(page, tmp_path, "01-narrow-picker")

        start_workflow(page, "chatty", Count=3)
        expect(page.locator(".aj-final-succeeded")).to_be_visible()
        page.get_by_role("button", name="Jobs").click()
        expect(page.locator(".aj-jobs .aj-job-current")).to_contain_text("chatty")
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        screenshot(page, tmp_path, "02-narrow-chat")
    finally:
        context.close()


def test_a_failure_shows_its_reason_and_the_job_list_re_attaches(page: Page, ui_url: str) -> None:
    open_picker(page, ui_url)
    job_id = start_workflow(page, "failing")
    final = page.locator(".aj-final-failed")
    expect(final).to_contain_text("Failed: the workflow raised an error")
    expect(final).to_contain_text("the workflow broke on purpose")
    expect(page.locator(".aj-status-badge")).to_have_text("Failed")

    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".aj-picker")).to_be_visible()
    expect(page).not_to_have_url(re.compile("job="))

    page.locator(f".aj-job:has-text('{job_id[:8]}')").click()
    expect(page).to_have_url(re.compile(f"job={job_id}"))
    expect(page.locator(".aj-final-failed")).to_have_count(1)
    assert shown_messages(page) == ["about to fail"]
