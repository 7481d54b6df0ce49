"""``agentjobs run`` in a pseudo-terminal against the real API, worker and Redis: answering
questions, hidden input, choices and tools, a failure. Attaching: test_console_attach.py."""

from __future__ import annotations

from agentjobs.client import SyncProvider
from agentjobs.protocol import JobStatus, ToolCall, ToolResult
from tests.support.console import JOB_LINE, Spawn, exit_code, styled


def test_runs_the_learning_chat_answering_by_suggestion_number(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("learning_chat", "--param", "turns=2")
    child.expect(JOB_LINE)
    job_id = child.match.group(1)
    child.expect(styled("What do you want to learn today?"))
    child.expect(styled("2) prime numbers"))
    child.expect("suggestion's number")
    child.sendline("2")
    child.expect("answered: prime numbers")
    child.expect(styled("Student: "))
    child.expect(styled("Teacher: "))
    child.expect("Completed")
    assert exit_code(child) == 0
    record = sync.get_job(job_id)
    assert record.status == JobStatus.SUCCEEDED and record.params == {"turns": 2}
    assert "prime numbers" in str(record.result)


def test_a_password_is_not_echoed(console: Spawn) -> None:
    child = console("secret_echo")
    child.expect(styled("Your API token?"))
    child.expect(styled("Answer (hidden): "))
    child.sendline("hunter22")
    child.expect("got a token of 8 characters")
    assert exit_code(child) == 0
    assert "hunter22" not in child.logfile_read.plain


def test_trip_planner_choice_tools_and_a_question_from_an_agent(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("trip_planner", "-p", "days=2")
    child.expect(JOB_LINE)
    job_id = child.match.group(1)
    child.expect(styled("Where would you like to go?"))
    child.expect(styled("1) Paris (default)"))
    child.sendline("Atlantis")  # not offered: asked again
    child.expect("'Atlantis' is not one of the choices")
    child.sendline("2")
    child.expect("answered: Tokyo")
    child.expect(styled("Traveler asks: "))
    child.expect(styled("Answer: "))
    child.sendline("Looks great")
    child.expect("Completed")
    child.expect("The traveler said: Looks great")
    assert exit_code(child) == 0
    # Every tool call and result in the job's log is shown (their order: test_console_order.py).
    shown = child.logfile_read.plain
    tools = [e for e in sync.read_events(job_id).events if isinstance(e, ToolCall | ToolResult)]
    assert any(isinstance(e, ToolResult) for e in tools)
    for event in tools:
        if isinstance(event, ToolCall):
            assert f"  ⚙ Planner calls get_weather({event.arguments})" in shown
        else:
            assert f"  ↳ get_weather: {event.content}" in shown


def test_a_failed_job_exits_1(console: Spawn) -> None:
    child = console("failing")
    child.expect("about to fail")
    child.expect(styled("Failed (exception)"))
    child.expect("the workflow broke on purpose")
    assert exit_code(child) == 1
