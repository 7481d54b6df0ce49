"""``agentjobs run`` driven through a pseudo-terminal against the real API, worker and Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import termios
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import pexpect
import pytest
import typer

from agentjobs.cli.console import parse_params
from agentjobs.cli.console_prompt import parse_choice
from agentjobs.cli.redis_server import free_port
from agentjobs.protocol import JobStatus, ToolCall, ToolResult
from frontend_mesop import FastAPIProvider, SyncProvider
from tests.support.stack import ROOT, RedisServer, api_server, celery_worker, wait_until

Spawn = Callable[..., pexpect.spawn]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
JOB_LINE = re.compile(r"Job ([0-9a-f]{32})\. Ctrl-C")
REATTACH = re.compile(r"agentjobs run --attach ([0-9a-f]{32}) --api-url")


def _text(text: str) -> re.Pattern[str]:
    """Match ``text`` literally, allowing terminal style codes between any two characters."""
    return re.compile("(?:\x1b\\[[0-9;?]*[A-Za-z])*".join(re.escape(c) for c in text))


class Tee:
    """Keeps everything a child printed (for assertions) and writes it to a log file."""

    def __init__(self, log: TextIO) -> None:
        self.log = log
        self.parts: list[str] = []

    def write(self, data: str) -> None:
        """Record and log a chunk of output."""
        self.parts.append(data)
        self.log.write(data)

    def flush(self) -> None:
        """Flush the log file."""
        self.log.flush()

    @property
    def plain(self) -> str:
        """Everything printed so far, without terminal codes."""
        return ANSI.sub("", "".join(self.parts))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTJOBS_", "OPENAI_"))}
    # A real terminal type (so the spinner runs), no colours so the text is easy to match.
    return env | {"NO_COLOR": "1", "TERM": "xterm", "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def sync(api_url: str) -> SyncProvider:
    """A blocking client of the session API."""
    return FastAPIProvider(api_url).sync()


@pytest.fixture
def console(api_url: str, logs_dir: Path, request: pytest.FixtureRequest) -> Iterator[Spawn]:
    """Spawns ``python -m agentjobs.cli run ARGS --api-url <session API>`` in a pseudo-terminal."""
    spawned: list[pexpect.spawn] = []
    log = (logs_dir / f"console-{request.node.name}.log").open("w", encoding="utf-8")

    def spawn(*args: str) -> pexpect.spawn:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "agentjobs.cli", "run", *args, "--api-url", api_url],
            cwd=str(ROOT),
            env=_env(),
            encoding="utf-8",
            timeout=30,
            dimensions=(40, 200),
        )
        child.logfile_read = Tee(log)
        # A terminal drops its pending output on Ctrl-C; keep it, to check what was printed.
        attrs = termios.tcgetattr(child.child_fd)
        attrs[3] |= termios.NOFLSH
        termios.tcsetattr(child.child_fd, termios.TCSANOW, attrs)
        spawned.append(child)
        return child

    yield spawn
    for child in spawned:
        child.close(force=True)
    log.close()


def _exit_code(child: pexpect.spawn) -> int:
    """Wait for the program to end; its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return int(child.exitstatus)


def test_runs_the_learning_chat_answering_by_suggestion_number(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("learning_chat", "--param", "turns=2")
    child.expect(JOB_LINE)
    job_id = child.match.group(1)
    child.expect(_text("What do you want to learn today?"))
    child.expect(_text("2) prime numbers"))
    child.expect("suggestion's number")
    child.sendline("2")
    child.expect("answered: prime numbers")
    child.expect(_text("Student: "))
    child.expect(_text("Teacher: "))
    child.expect("Completed")
    assert _exit_code(child) == 0
    record = sync.get_job(job_id)
    assert record.status == JobStatus.SUCCEEDED and record.params == {"turns": 2}
    assert "prime numbers" in str(record.result)


def test_a_password_is_not_echoed(console: Spawn) -> None:
    child = console("secret_echo")
    child.expect(_text("Your API token?"))
    child.expect(_text("Answer (hidden): "))
    child.sendline("hunter22")
    child.expect("got a token of 8 characters")
    assert _exit_code(child) == 0
    assert "hunter22" not in child.logfile_read.plain


def test_trip_planner_choice_tools_and_a_question_from_an_agent(
    console: Spawn, sync: SyncProvider
) -> None:
    child = console("trip_planner", "-p", "days=2")
    child.expect(JOB_LINE)
    job_id = child.match.group(1)
    child.expect(_text("Where would you like to go?"))
    child.expect(_text("1) Paris (default)"))
    child.sendline("Atlantis")  # not offered: asked again
    child.expect("'Atlantis' is not one of the choices")
    child.sendline("2")
    child.expect("answered: Tokyo")
    child.expect(_text("Traveler asks: "))
    child.expect(_text("Answer: "))
    child.sendline("Looks great")
    child.expect("Completed")
    child.expect("The traveler said: Looks great")
    assert _exit_code(child) == 0
    # Every tool call and result in the job's log is shown (before or after the Traveler's
    # question: the worker may publish the question before it relays the team's last steps).
    shown = child.logfile_read.plain
    tools = [e for e in sync.read_events(job_id).events if isinstance(e, ToolCall | ToolResult)]
    assert any(isinstance(e, ToolResult) for e in tools)
    for event in tools:
        if isinstance(event, ToolCall):
            assert f"  ⚙ Planner calls get_weather({event.arguments})" in shown
        else:
            assert f"  ↳ get_weather: {event.content}" in shown


def test_attach_answers_a_job_waiting_for_input(console: Spawn, sync: SyncProvider) -> None:
    job = sync.start_job("learning_chat", {"turns": 2})
    wait_until(
        lambda: sync.get_job(job.job_id).status == JobStatus.AWAITING_INPUT, 15, "the question"
    )
    child = console("--attach", job.job_id)
    child.expect(f"Job {job.job_id} queued: learning_chat")  # the log is replayed first
    child.expect(_text("What do you want to learn today?"))
    child.expect(_text("Answer"))
    child.sendline("fractions")
    child.expect("Completed")
    assert _exit_code(child) == 0
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
    child.expect(_text("Your API token?"))
    child.expect("got a token of 3 characters")
    assert _exit_code(child) == 0
    assert "Answer" not in child.logfile_read.plain  # nobody was asked


def test_ctrl_c_detaches_and_attach_then_cancels(console: Spawn, sync: SyncProvider) -> None:
    child = console("chatty", "--param", "count=100000", "--param", "pause_ms=20")
    child.expect("message 3\r\n")
    child.sendintr()
    child.expect(_text("Cancel the job, detach (it keeps running) or resume?"))
    child.sendline("detach")
    child.expect(REATTACH)
    job_id = child.match.group(1)
    assert _exit_code(child) == 0
    assert sync.get_job(job_id).status == JobStatus.RUNNING

    again = console("--attach", job_id)
    again.expect("message 0\r\n")  # replayed from the start
    again.expect("message 5\r\n")
    again.sendintr()
    again.expect(_text("resume?"))
    again.sendline("resume")
    again.expect(f"message {_shown(again)[-1] + 5}\r\n")  # following on after resume
    again.sendintr()
    again.expect(_text("resume?"))
    again.sendline("cancel")
    again.expect("Cancelled by")
    assert _exit_code(again) == 1
    assert sync.get_job(job_id).status == JobStatus.CANCELLED
    # Interrupted twice, yet every message was shown once, in order.
    shown = _shown(again)
    assert shown == list(range(len(shown))) and len(shown) > 10


def _shown(child: pexpect.spawn) -> list[int]:
    """The numbers of the chatty messages a child has printed so far."""
    return [int(n) for n in re.findall(r"message (\d+)\r\n", child.logfile_read.plain)]


def test_a_failed_job_exits_1(console: Spawn) -> None:
    child = console("failing")
    child.expect("about to fail")
    child.expect(_text("Failed (exception)"))
    child.expect("the workflow broke on purpose")
    assert _exit_code(child) == 1


def _run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``agentjobs run ARGS`` without a terminal (stdin closed): its exit code and output."""
    argv = [sys.executable, "-m", "agentjobs.cli", "run", *args]
    return subprocess.run(
        argv,
        cwd=ROOT,
        env=_env() | env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_input_gets_a_clear_error(api_url: str) -> None:
    unknown = _run_cli("no_such_workflow", "--api-url", api_url)
    assert unknown.returncode == 2 and "unknown workflow 'no_such_workflow'" in unknown.stdout
    invalid = _run_cli("learning_chat", "-p", "turns=99", "--api-url", api_url)
    assert invalid.returncode == 2 and "turns" in invalid.stdout
    missing = _run_cli("--attach", "nope", "--api-url", api_url)
    assert missing.returncode == 2 and "not found" in missing.stdout
    down = _run_cli("chatty", "--api-url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 2 and "unreachable" in down.stdout
    both = _run_cli("chatty", "--attach", "x", "--api-url", api_url)
    assert both.returncode == 2 and "not both" in both.stderr
    not_pair = _run_cli("chatty", "-p", "count", "--api-url", api_url)
    assert not_pair.returncode == 2 and "is not key=value" in not_pair.stderr


def test_params_are_json_when_they_parse() -> None:
    parsed = parse_params(["n=3", "name=Ada", "flags=[1, 2]", 'q="7"', "empty=", "a=b=c"])
    assert parsed == {"n": 3, "name": "Ada", "flags": [1, 2], "q": "7", "empty": "", "a": "b=c"}
    with pytest.raises(typer.BadParameter):
        parse_params(["=3"])


def test_choices_by_number_or_name() -> None:
    choices = ["Paris", "Tokyo", "Lisbon"]
    assert parse_choice("2", choices, single=True) == "Tokyo"
    assert parse_choice(" lisbon ", choices, single=True) == "Lisbon"
    assert parse_choice("", choices, single=True, default="Paris") == "Paris"
    assert parse_choice("3, paris, 3", choices, single=False) == ["Lisbon", "Paris"]
    with pytest.raises(ValueError, match="not one of the choices"):
        parse_choice("4", choices, single=True)
    with pytest.raises(ValueError, match="pick one"):
        parse_choice(" ", choices, single=False)


def test_the_token_comes_from_the_option_or_the_environment(
    api_url: str, redis_srv: RedisServer, logs_dir: Path
) -> None:
    tokens = "tok-bob:bob"
    with api_server(
        redis_srv.url, logs_dir / "api-console-tokens.log", AGENTJOBS_API_TOKENS=tokens
    ) as secured:
        refused = _run_cli("chatty", "--api-url", secured)
        assert refused.returncode == 2 and "401" in refused.stdout
        by_option = _run_cli("chatty", "-p", "count=2", "--api-url", secured, "--token", "tok-bob")
        assert by_option.returncode == 0 and "message 1" in by_option.stdout
        settings = {"AGENTJOBS_API_URL": secured, "AGENTJOBS_TOKEN": "tok-bob"}
        by_env = _run_cli("chatty", "-p", "count=2", **settings)
        assert by_env.returncode == 0 and "Completed" in by_env.stdout


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
        attached = _run_cli("--attach", job.job_id, "--api-url", api)
    assert attached.returncode == 0, attached.stdout
    assert "Older events of this job were trimmed" in attached.stdout
    shown = [int(n) for n in re.findall(r"message (\d+)\n", attached.stdout)]
    assert shown[-1] == 999 and shown == list(range(shown[0], 1000)) and shown[0] > 0
    assert "Completed" in attached.stdout
