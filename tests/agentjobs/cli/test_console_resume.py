"""``agentjobs run``: Ctrl-C at a question, then resume (asked again), answered elsewhere
meanwhile (not asked again), or cancel."""

from __future__ import annotations

import pexpect

from agentjobs.client import SyncProvider
from agentjobs.protocol import JobStatus
from tests.support.console import JOB_LINE, Spawn, exit_code, styled

QUESTION = "What do you want to learn today?"
MENU = "Cancel the job, detach (it keeps running) or resume?"


def _interrupt_at_the_question(child: pexpect.spawn) -> str:
    """Wait for the learning chat's question and its prompt, press Ctrl-C; the job's id."""
    child.expect(JOB_LINE)
    job_id: str = child.match.group(1)
    child.expect(styled(QUESTION))
    child.expect("suggestion's number")
    child.sendintr()
    child.expect(styled(MENU))
    return job_id


def test_resume_at_a_question_asks_it_again_and_takes_the_answer(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("learning_chat", "--param", "turns=2")
    job_id = _interrupt_at_the_question(child)
    child.sendline("resume")
    child.expect(styled(QUESTION))  # shown again, with its prompt
    child.expect("suggestion's number")
    child.sendline("fractions")
    child.expect("answered: fractions")
    child.expect("Completed")
    assert exit_code(child) == 0
    record = sync.get_job(job_id)
    assert record.status == JobStatus.SUCCEEDED and "fractions" in str(record.result)


def test_a_question_answered_elsewhere_meanwhile_is_not_asked_again(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("learning_chat", "--param", "turns=2")
    job_id = _interrupt_at_the_question(child)
    pending = sync.get_job(job_id).pending
    assert pending is not None
    sync.answer(job_id, pending.request_id, "volcanoes")
    child.sendline("resume")
    child.expect("answered: volcanoes")
    child.expect("Completed")
    assert exit_code(child) == 0
    after_menu = child.logfile_read.plain.rpartition(MENU)[2]
    assert QUESTION not in after_menu and "suggestion's number" not in after_menu


def test_cancel_at_a_question_ends_the_job(console: Spawn, sync: SyncProvider) -> None:
    child = console("learning_chat")
    job_id = _interrupt_at_the_question(child)
    child.sendline("cancel")
    child.expect("Cancelled by")
    assert exit_code(child) == 1
    assert sync.get_job(job_id).status == JobStatus.CANCELLED
