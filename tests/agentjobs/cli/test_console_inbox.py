"""The console and humans in the loop: ``agentjobs run`` asks tool approvals (an edit checked
against the tool's schema), ``agentjobs inbox`` lists what waits and answers one."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect

from agentjobs.client import SyncProvider
from agentjobs.protocol import JobStatus
from tests.support.console import Spawn, console_env, exit_code
from tests.support.stack import ROOT, wait_until


def test_run_asks_the_approval_and_checks_an_edit(
    console: Spawn, sync: SyncProvider, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    child = console("approval_team", "--param", f"counter_path={counter}")
    child.expect("add_to_counter")
    child.expect("Decision")
    child.sendline("edit")
    child.expect("Arguments")
    child.sendline('{"amount": "four"}')
    child.expect("arguments.amount")
    child.sendline('{"amount": 4}')
    child.expect("added 4")
    child.expect("Completed")
    assert exit_code(child) == 0
    assert counter.read_text().split() == ["4"]


def _inbox(api_url: str, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "agentjobs.cli", "inbox", *args, "--api-url", api_url],
        cwd=str(ROOT),
        env=console_env(),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 250),
    )


def test_inbox_lists_and_answers(api_url: str, sync: SyncProvider) -> None:
    job_id = sync.start_job("deadline_question", {"timeout": 120, "default": None}).job_id
    wait_until(lambda: sync.get_job(job_id).pending is not None, 20, "the question")
    pending = sync.get_job(job_id).pending
    assert pending is not None
    listing = _inbox(api_url)
    listing.expect(pending.request_id)
    listing.expect("Ship it?")
    listing.expect("waiting")
    listing.expect(pexpect.EOF)
    answering = _inbox(api_url, "answer", pending.request_id, "ship")
    answering.expect("Answered")
    answering.expect(pexpect.EOF)
    wait_until(lambda: sync.get_job(job_id).status.is_terminal, 20, "the job's end")
    record = sync.get_job(job_id)
    assert record.status == JobStatus.SUCCEEDED and record.result == "ship"
    again = _inbox(api_url, "answer", pending.request_id, "twice")
    again.expect("answered already by")
    again.expect(pexpect.EOF)
