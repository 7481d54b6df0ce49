"""The comparison's two clients, each measuring one round of runs against one server.

The raw client speaks FastAgency's wire protocol (``/work``'s FASTAGENCY_WIRE.md, as
``tests/support/fastagency_wire.py`` does) with httpx and websockets from this process, any
number of runs in flight; ``FastAPIProvider`` is FastAgency's own client, run one run at a time
in the FastAgency venv (``bench/fastagency_provider.py``) as a long-lived child process.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.client import http_client
from tests.support.fastagency_wire import ws_base
from tests.support.stack import ROOT

WORKFLOW = "bench_text_messages"
RUN_TIMEOUT = 60.0
"""Seconds before a run that never completes is counted failed (a stuck stack, not slowness)."""
_COMPLETED = '"workflow_completed"'  # in a frame's type only: message bodies never hold it


@dataclass
class RoundResult:
    """One round against one server: how long it took and each run's timings (ms)."""

    seconds: float
    first_ms: list[float]
    done_ms: list[float]

    @property
    def failed(self) -> int:
        """Runs that never saw ``workflow_completed``."""
        return sum(1 for value in self.done_ms if math.isnan(value))


async def _raw_run(http: httpx.AsyncClient, ws_url: str, count: int) -> tuple[float, float]:
    """One run as FastAPIProvider makes it: POST initiate, open the socket, read to the end."""
    began = time.perf_counter()
    workflow_uuid = uuid.uuid4().hex
    params = {"count": count}
    body = {"workflow_name": WORKFLOW, "workflow_uuid": workflow_uuid, "user_id": None}
    answer = await http.post("/fastagency/initiate_workflow", json={**body, "params": params})
    answer.raise_for_status()
    first = done = math.nan
    init = {"user_id": "None", "workflow_uuid": workflow_uuid, "name": WORKFLOW, "params": params}
    # Default options, compression offered included, as FastAgency's client connects.
    async with connect(ws_url, open_timeout=10, close_timeout=2) as conn:
        await conn.send(json.dumps(init))
        async for raw in conn:
            if math.isnan(first):
                first = (time.perf_counter() - began) * 1000
            if _COMPLETED in raw:
                done = (time.perf_counter() - began) * 1000
                break
    return first, done


async def raw_round(url: str, count: int, runs: int, in_flight: int) -> RoundResult:
    """``runs`` runs of ``count`` messages, ``in_flight`` at a time, over one HTTP pool."""
    left = iter(range(runs))
    firsts: list[float] = []
    dones: list[float] = []
    ws_url = f"{ws_base(url)}/fastagency/ws"

    async def lane(http: httpx.AsyncClient) -> None:
        for _ in left:
            try:
                async with asyncio.timeout(RUN_TIMEOUT):
                    first, done = await _raw_run(http, ws_url, count)
            except Exception:  # a failed run is counted (NaN), not fatal to the round
                first = done = math.nan
            firsts.append(first)
            dones.append(done)

    async with http_client(url, in_flight) as http:
        began = time.perf_counter()
        await asyncio.gather(*(lane(http) for _ in range(in_flight)))
        return RoundResult(time.perf_counter() - began, firsts, dones)


class ProviderClient:
    """FastAgency's ``FastAPIProvider`` in its venv, answering one JSON line per round."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    @property
    def pid(self) -> int:
        """The client process (its CPU is the client's share of a round)."""
        return self.proc.pid

    def round(self, url: str, count: int, runs: int) -> RoundResult:
        """``runs`` runs of ``count`` messages one after another."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        command = {"url": url, "name": WORKFLOW, "params": {"count": count}, "runs": runs}
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the FastAPIProvider client exited ({self.proc.poll()})")
        out: dict[str, Any] = json.loads(line)
        return RoundResult(out["seconds"], out["first_ms"], out["done_ms"])


@contextmanager
def provider_client(python: Path, log: Path) -> Iterator[ProviderClient]:
    """Start the provider client in the FastAgency venv; stop it afterwards."""
    script = ROOT / "bench" / "fastagency_provider.py"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [str(python), str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=ROOT,
        )
        try:
            yield ProviderClient(proc)
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
