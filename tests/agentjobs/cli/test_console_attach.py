"""``agentjobs run --attach``: a waiting job, a finished one, Ctrl-C (detach, resume, cancel),
and a log whose start was trimmed."""

from __future__ import annotations

import re
from pathlib import Path

import pexpect

from agentjobs.client import FastAPIProvider, SyncProvider
from agentjobs.protocol import JobStatus
from tests.support.console import REATTACH, Spawn, exit_code, run_cli, styled
from tests.support.stack import api_server, celery_worker, wait_until


def test_attach_answers_a_job_waiting_for_input(console: Spawn, sync: SyncProvider) -> None:
    job = sync.start_job("learning_chat", {"turns": 2})
    wait_until(
        lambda: sync.get_job(job.job_id).status == JobStatus.AWAITING_INPUT, 15, "the question"
    )
    child = console("--attach", job.job_id)
    child.expect(f"Job {job.job_id} queued: learning_chat")  # the log is replayed first
    child.expect(styled("What do you want to learn today?"))
    child.expect(styled("Answer"))
    child.sendline("fractions")
    child.expect("Completed")
    assert exit_code(child) == 0
    assert sync.get_job(job.job_id).status == JobStatus.SUCCEEDED


def test_a_finished_job_is_replayed_without_asking_again(
    console: Spawn, sync: SyncProvider
) -> None:
    job = sync.start_job("secret_echo")
    wait_until(lambda: sync.get_job(job.job_id).pending is not None, 15, "the question")
    request = sync.get_job(job.job_id).pending
    assert request is not None
    sync.answer(job.job_id, request.request_id, "abc")
    wait_until(lambda: sync.get_job(job.job_id).status.is_terminal, 15, "the end")
    child = console("--attach", job.job_id)
    child.expect(styled("Your API token?"))
    child.expect("got a token of 3 characters")
    assert exit_code(child) == 0
    assert "Answer" not in child.logfile_read.plain  # nobody was asked


def test_ctrl_c_detaches_and_attach_then_cancels(console: Spawn, sync: SyncProvider) -> None:
    child = console("chatty", "--param", "count=100000", "--param", "pause_ms=20")
    child.expect("message 3\r\n")
    child.sendintr()
    child.expect(styled("Cancel the job, detach (it keeps running) or resume?"))
    child.sendline("detach")
    child.expect(REATTACH)
    job_id = child.match.group(1)
    assert exit_code(child) == 0
    assert sync.get_job(job_id).status == JobStatus.RUNNING

    again = console("--attach", job_id)
    again.expect("message 0\r\n")  # replayed from the start
    again.expect("message 5\r\n")
    again.sendintr()
    again.expect(styled("resume?"))
    again.sendline("resume")
    again.expect(f"message {_shown(again)[-1] + 5}\r\n")  # following on after resume
    again.sendintr()
    again.expect(styled("resume?"))
    again.sendline("cancel")
    again.expect("Cancelled by")
    assert exit_code(again) == 1
    assert sync.get_job(job_id).status == JobStatus.CANCELLED
    # Interrupted twice, yet every message was shown once, in order.
    shown = _shown(again)
    assert shown == list(range(len(shown))) and len(shown) > 10


def _shown(child: pexpect.spawn) -> list[int]:
    """The numbers of the chatty messages a child has printed so far."""
    return [int(n) for n in re.findall(r"message (\d+)\r\n", child.logfile_read.plain)]


def test_attach_to_a_trimmed_log_says_so_and_shows_the_rest(
    isolated_db: str, logs_dir: Path
) -> None:
    with (
        api_server(isolated_db, logs_dir / "api-console-trim.log") as api,
        celery_worker(
            isolated_db, logs_dir / "worker-console-trim.log", 1, AGENTJOBS_EVENT_LOG_MAXLEN="100"
        ),
    ):
        sync = FastAPIProvider(api).sync()
        job = sync.start_job("chatty", {"count": 1000})
        wait_until(lambda: sync.get_job(job.job_id).status.is_terminal, 30, "the job's end")
        attached = run_cli("--attach", job.job_id, "--api-url", api)
    assert attached.returncode == 0, attached.stdout
    assert "Older events of this job were trimmed" in attached.stdout
    shown = [int(n) for n in re.findall(r"message (\d+)\n", attached.stdout)]
    assert shown[-1] == 999 and shown == list(range(shown[0], 1000)) and shown[0] > 0
    assert "Completed" in attached.stdout
