"""Fixtures of the console tests: the session API's blocking client and a terminal spawner."""

from __future__ import annotations

import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from agentjobs.client import FastAPIProvider, SyncProvider
from tests.support.console import Spawn, Tee, console_env
from tests.support.stack import ROOT


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
            env=console_env(),
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
