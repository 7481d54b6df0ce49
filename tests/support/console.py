"""Driving ``agentjobs run`` in tests: a pseudo-terminal's output, patterns, and plain runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import TextIO

import pexpect

from tests.support.stack import ROOT

Spawn = Callable[..., pexpect.spawn]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
JOB_LINE = re.compile(r"Job ([0-9a-f]{32})\. Ctrl-C")
REATTACH = re.compile(r"agentjobs run --attach ([0-9a-f]{32}) --api-url")


def styled(text: str) -> re.Pattern[str]:
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


def console_env() -> dict[str, str]:
    """This environment without agentjobs and model settings, for a plain-text terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTJOBS_", "OPENAI_"))}
    # pytest-xdist's workers run with COLUMNS=80 LINES=24, which rich prefers to the terminal's
    # own size: the child must see its pty's dimensions.
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    # A real terminal type (so the spinner runs), no colours so the text is easy to match.
    return env | {"NO_COLOR": "1", "TERM": "xterm", "PYTHONUNBUFFERED": "1"}


def exit_code(child: pexpect.spawn) -> int:
    """Wait for the program to end; its exit status."""
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return int(child.exitstatus)


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``agentjobs run ARGS`` without a terminal (stdin closed): its exit code and output."""
    argv = [sys.executable, "-m", "agentjobs.cli", "run", *args]
    return subprocess.run(
        argv,
        cwd=ROOT,
        env=console_env() | env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
