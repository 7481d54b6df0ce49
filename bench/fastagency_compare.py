"""agentjobs' ``/fastagency/*`` routes against FastAgency 0.10.2's own ``FastAPIAdapter``.

The same trivial workflow on both (``bench_text_messages``: 20 or 200 text messages), the same
clients (FastAgency's ``FastAPIProvider`` one run at a time, and a raw asyncio client at 1 and
8 in flight), one server process each and then the four-process recipe (gunicorn ``-w 4``;
for agentjobs with its Celery worker and Redis). The two servers are measured alternately, a
round of A then a round of B, several times, so a busy machine slows both: runs/s is the
median of the rounds, latencies are pooled over them. CPU per run is charged to every process
of the server under test, and to the client.

``python -m bench --only fastagency_compare`` (opt-in: it builds a venv on first use).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from typing import Any

from bench.client import run
from bench.fastagency_clients import ProviderClient, RoundResult, provider_client, raw_round
from bench.fastagency_servers import (
    Server,
    agentjobs_server,
    cpu_seconds,
    fastagency_python,
    fastagency_server,
)
from bench.fastagency_timeline import timeline, timeline_table
from bench.profiling import profiled
from bench.stack import BenchEnv, Stack
from bench.stats import summary


@dataclass(frozen=True)
class Case:
    """One row: which client, how many runs in flight, messages a run, server processes."""

    client: str
    in_flight: int
    messages: int
    processes: int
    runs: int
    """Runs per round in a full run (``--quick`` does fewer)."""

    @property
    def label(self) -> str:
        """How the row reads in the table."""
        return f"{self.processes}p {self.client} x{self.in_flight} {self.messages} msg"


CASES = [
    Case("provider", 1, 20, 1, 40),
    Case("raw", 1, 20, 1, 60),
    Case("raw", 8, 20, 1, 160),
    Case("raw", 1, 200, 1, 15),
    Case("raw", 8, 200, 1, 40),
    Case("raw", 8, 20, 4, 160),
    Case("raw", 8, 200, 4, 40),
]
ROUNDS, QUICK_ROUNDS = 5, 2
_DB = {1: 1, 4: 2}
"""The Redis database of each agentjobs layout: a leftover worker never takes the other's jobs."""


class _Clients:
    """Runs one round of a case against a server, with the client's pid for its CPU."""

    def __init__(self, provider: ProviderClient) -> None:
        self.provider = provider

    def pid(self, case: Case) -> int:
        return self.provider.pid if case.client == "provider" else os.getpid()

    def round(self, case: Case, server: Server, runs: int) -> RoundResult:
        if case.client == "provider":
            return self.provider.round(server.url, case.messages, runs)
        return run(raw_round(server.url, case.messages, runs, case.in_flight))


def _measure(
    case: Case, servers: list[Server], clients: _Clients, rounds: int, runs: int
) -> dict[str, Any]:
    """Alternate rounds of ``case`` over ``servers``; each server's figures."""
    for server in servers:  # warm-up: connections, threads, imports, caches
        clients.round(case, server, max(2 * case.in_flight, 4))
    taken: dict[str, list[RoundResult]] = {s.name: [] for s in servers}
    cpu: dict[str, dict[str, float]] = {s.name: {} for s in servers}
    for _ in range(rounds):
        for server in servers:
            pids = {**server.pids, "client": clients.pid(case)}
            before = {name: _cpu(name, pid) for name, pid in pids.items()}
            taken[server.name].append(clients.round(case, server, runs))
            for name, pid in pids.items():
                spent = _cpu(name, pid) - before[name]
                cpu[server.name][name] = cpu[server.name].get(name, 0.0) + spent
    return {name: _figures(results, cpu[name]) for name, results in taken.items()}


def _cpu(name: str, pid: int) -> float:
    return cpu_seconds(pid, children=name != "client")


def _figures(results: list[RoundResult], cpu: dict[str, float]) -> dict[str, Any]:
    total = sum(len(r.done_ms) for r in results)
    rates = [len(r.done_ms) / r.seconds for r in results]
    per_run = {name: round(seconds * 1000 / total, 3) for name, seconds in cpu.items()}
    return {
        "runs": total,
        "failed": sum(r.failed for r in results),
        "runs_per_s": round(statistics.median(rates), 1),
        "runs_per_s_rounds": [round(x, 1) for x in rates],
        "first_frame_ms": summary([x for r in results for x in r.first_ms if x == x]),
        "completion_ms": summary([x for r in results for x in r.done_ms if x == x]),
        "cpu_ms_per_run": per_run,
        "cpu_ms_per_run_total": round(sum(per_run.values()), 3),
    }


def _ratios(fa: dict[str, Any], aj: dict[str, Any]) -> dict[str, float]:
    """agentjobs / FastAgency: above 1 is better for runs/s, worse for the others."""

    def ratio(get: Callable[[dict[str, Any]], float]) -> float:
        bottom = get(fa)
        return round(get(aj) / bottom, 2) if bottom else float("nan")

    return {
        "runs_per_s": ratio(lambda f: f["runs_per_s"]),
        "first_frame_p50": ratio(lambda f: f["first_frame_ms"]["p50"]),
        "completion_p50": ratio(lambda f: f["completion_ms"]["p50"]),
        "cpu_per_run": ratio(lambda f: f["cpu_ms_per_run_total"]),
    }


def bench_fastagency_compare(env: BenchEnv, _stack: Stack | None) -> dict[str, Any]:
    """Every case against both servers, layout by layout; per row, both and their ratios."""
    rounds = QUICK_ROUNDS if env.quick else ROUNDS
    cases = [c for c in CASES if not env.quick or c.messages == 20]
    rows: list[dict[str, Any]] = []
    timelines: list[dict[str, Any]] = []
    python = fastagency_python()
    with provider_client(python, env.logs / "fastagency-provider.log") as provider:
        clients = _Clients(provider)
        for processes in sorted({c.processes for c in cases}):
            with ExitStack() as servers:
                fa = servers.enter_context(fastagency_server(env, processes))
                aj = servers.enter_context(agentjobs_server(env, processes, _DB[processes]))
                # --profile: sample agentjobs' API and worker (one-process layout: one API pid).
                pids = {"api": aj.pids["api"], "worker": aj.pids["worker"]}
                label = f"fastagency_compare-{processes}p"
                servers.enter_context(profiled(pids, env.profile_dir, label))
                for case in (c for c in cases if c.processes == processes):
                    runs = max(case.in_flight * 2, case.runs // 8) if env.quick else case.runs
                    print(f"   {case.label}: {rounds} rounds of {runs} runs each", flush=True)
                    measured = _measure(case, [fa, aj], clients, rounds, runs)
                    ratios = _ratios(measured["fastagency"], measured["agentjobs"])
                    rows.append({**asdict(case), "label": case.label, **measured, "ratio": ratios})
                if processes == 1:  # after the measured rounds: its log reads cost nothing there
                    many = 20 if env.quick else 100
                    timelines = [
                        run(timeline(server.url, 20, many, n, server.name))
                        for n in (1, 8)
                        for server in (fa, aj)
                    ]
    return {
        "workflow": "bench_text_messages",
        "rounds": rounds,
        "rows": rows,
        "timelines": timelines,
    }


def table(results: dict[str, Any]) -> str:
    """The side-by-side rows as a fixed-width text table."""
    head = "row                       FA r/s  aj r/s  ratio  first p50/p95 FA | aj (ms)"
    head += "          done p50 FA | aj   CPU ms/run FA | aj"
    lines = [head, "-" * len(head)]
    for row in results.get("rows", []):
        fa, aj, ratio = row["fastagency"], row["agentjobs"], row["ratio"]
        first = (
            f"{fa['first_frame_ms']['p50']:6.1f}/{fa['first_frame_ms']['p95']:6.1f} | "
            f"{aj['first_frame_ms']['p50']:6.1f}/{aj['first_frame_ms']['p95']:6.1f}"
        )
        done = f"{fa['completion_ms']['p50']:6.1f} | {aj['completion_ms']['p50']:6.1f}"
        cpu = f"{fa['cpu_ms_per_run_total']:5.1f} | {aj['cpu_ms_per_run_total']:5.1f}"
        lines.append(
            f"{row['label']:<24}{fa['runs_per_s']:7.1f}{aj['runs_per_s']:8.1f}"
            f"{ratio['runs_per_s']:7.2f}  {first:<36}{done:<22}{cpu}"
        )
        failed = fa["failed"] + aj["failed"]
        if failed:
            lines.append(f"{'':24}FAILED runs: FastAgency {fa['failed']}, agentjobs {aj['failed']}")
    if results.get("timelines"):
        lines += ["", "Where a run's time goes (1 process; p50, p95 in brackets):"]
        lines.append(timeline_table(results["timelines"]))
    return "\n".join(lines)
