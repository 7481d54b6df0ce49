"""Running child processes with prefixed, coloured output, and stopping them all together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")


@dataclass
class ProcessGroup:
    """Child processes started together; ``stop`` ends every one of them."""

    console: Console = field(default_factory=Console)
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        """Start ``argv``, printing each output line prefixed with ``name``."""
        proc = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
        colour = COLOURS[len(self.children) % len(COLOURS)]
        self.children.append((name, proc))
        threading.Thread(target=self._pipe, args=(name, colour, proc), daemon=True).start()

    def _pipe(self, name: str, colour: str, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = Text(f"{name:>7} | ", style=colour)
            line.append(raw.decode(errors="replace").rstrip())
            self.console.print(line, highlight=False, soft_wrap=True)

    def wait_any(self) -> str:
        """Block until one child exits; returns its name."""
        done = threading.Event()
        exited: list[str] = []

        def watch(name: str, proc: subprocess.Popen[bytes]) -> None:
            proc.wait()
            exited.append(name)
            done.set()

        for name, proc in self.children:
            threading.Thread(target=watch, args=(name, proc), daemon=True).start()
        done.wait()
        return exited[0]

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM each child, newest first, and SIGKILL one still alive after ``grace``."""
        # One at a time, newest first: the API and worker go before the Redis they talk to.
        for _, proc in reversed(self.children):
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def python_module(module: str, *args: str) -> list[str]:
    """argv running ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]
