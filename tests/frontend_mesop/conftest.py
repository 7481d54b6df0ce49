"""Browser-test fixtures: the UI server on the session API, and headless Chromium pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.support.stack import RedisServer
from tests.support.ui import launch_chromium, ui_server

# Jobs take a few seconds end to end and a page refresh waits up to a second: be patient.
expect.set_options(timeout=30_000)

DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def ui_url(api_url: str, redis_srv: RedisServer, logs_dir: Path) -> Iterator[str]:
    """A real ``agentjobs ui`` process talking to the session API."""
    with ui_server(api_url, redis_srv.url, logs_dir / "ui.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def requested() -> list[str]:
    """Every URL the test's pages requested."""
    return []


@pytest.fixture
def page(browser: Browser, requested: list[str]) -> Iterator[Page]:
    """A fresh 1280x800 page (its own cookies and storage) recording what it requests."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    yield page
    context.close()
