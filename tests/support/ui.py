"""The chat UI for browser tests: a real ``agentjobs ui`` process and headless Debian Chromium."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, Playwright, expect

from agentjobs.cli.redis_server import free_port
from tests.support.stack import base_env, running, wait_until

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def ui_server(api_url: str, redis_url: str, log: Path, **env: str) -> Iterator[str]:
    """``agentjobs ui`` on a free loopback port, calling the API at ``api_url``; yields its URL."""
    port = free_port()
    argv = [sys.executable, "-m", "agentjobs.cli", "ui", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(argv, base_env(redis_url, AGENTJOBS_API_URL=api_url, **env), log) as proc:

        def serving() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"UI exited early; see {log}")
            try:
                return httpx.get(f"{base}/__health__", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(serving, 30, "the UI's /__health__")
        yield base


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's chromium, headless (Playwright's own browsers are never downloaded)."""
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("no chromium on PATH: apt-get install -y chromium (scripts/setup.sh)")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def open_picker(page: Page, ui_url: str, path: str = "/") -> None:
    """Load the page and wait for the workflow picker."""
    page.goto(ui_url + path)
    expect(page.locator(".aj-picker")).to_be_visible()


def start_workflow(page: Page, name: str, **params: int | str) -> str:
    """Pick ``name``, fill its params form, start it; returns the new job's id (from the URL)."""
    page.locator(".aj-workflow").filter(has=page.get_by_text(name, exact=True)).click()
    expect(page.get_by_role("button", name=f"Start {name}")).to_be_visible()
    for label, value in params.items():
        field = page.get_by_label(label)
        field.fill(str(value))
        field.press("Tab")  # Mesop inputs report their value on blur
    page.get_by_role("button", name=f"Start {name}").click()
    page.wait_for_url(re.compile(r"[?&]job=[0-9a-f]+"))
    return job_in_url(page)


def job_in_url(page: Page) -> str:
    """The job id the page's URL names."""
    match = re.search(r"[?&]job=([0-9a-f]+)", page.url)
    assert match, page.url
    return match.group(1)


def shown_messages(page: Page) -> list[str]:
    """The text of every agent message the transcript shows, in order."""
    return [text.strip() for text in page.locator(".aj-message .aj-body").all_inner_texts()]


def screenshot(page: Page, folder: Path, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    path = folder / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


live_socket_open = "() => document.querySelector('agentjobs-live')?._socket?.readyState === 1"
"""A page function: true while the page's own job socket is open."""


def wait_for_status(api_url: str, job_id: str, status: str, timeout: float = 60) -> None:
    """Wait until the API reports the job in ``status`` (asked every 50 ms)."""

    def reached() -> bool:
        record = httpx.get(f"{api_url}/jobs/{job_id}", timeout=10).json()
        return bool(record["status"] == status)

    wait_until(reached, timeout, f"job {job_id} {status}")
