"""What traces cost: the same learning chats with no OTLP endpoint and with one.

``python -m bench.traces [--jobs N] [--rounds R]`` starts a private Redis, a local fake
OpenAI-compatible model and, for the traced variant, a local OTLP/HTTP receiver; then for each
round it runs the same jobs on a stack without an endpoint and on one exporting to the receiver
(alternating, so drift on a shared machine hits both). Per variant: the job's time from
``POST /jobs`` to ``workflow_completed`` (the job asks one question, answered at once, then makes
four model calls), the CPU the worker and the API spent per job, their memory, the spans exported
per job, and how long importing the API app and the worker's tasks takes. Writes
``bench/results/traces.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil

from bench.client import http_client, job_ws, read_until, run, start_job
from bench.stack import BenchEnv, StackSpec, rss
from bench.stats import summary
from tests.support.durable import model_env
from tests.support.fake_openai import fake_openai_server
from tests.support.otlp_receiver import otlp_receiver
from tests.support.stack import ROOT, base_env, redis_server

OUT = ROOT / "bench" / "results" / "traces.json"
LOGS = ROOT / ".run" / "bench-logs"
WARMUP = 3
"""Jobs run before measuring (first imports, connections, caches)."""


async def _one_job(api_url: str) -> float:
    """Seconds from POST to the terminal event of one learning chat (its question answered)."""
    async with http_client(api_url, 2) as http:
        began = time.perf_counter()
        job_id = await start_job(http, "learning_chat", turns=4)
        async with job_ws(api_url, job_id) as conn:
            question = await read_until(conn, "text_input")
            answer = {"type": "input", "request_id": question["request_id"], "value": "primes"}
            await conn.send(json.dumps(answer))
            end = await read_until(conn)
    if end["type"] != "workflow_completed":
        raise RuntimeError(f"job {job_id} ended {end}")
    return time.perf_counter() - began


async def _jobs(api_url: str, count: int) -> list[float]:
    return [await _one_job(api_url) for _ in range(count)]


def _cpu(pid: int) -> float:
    """CPU seconds of a process and its children."""
    process = psutil.Process(pid)
    times = [p.cpu_times() for p in [process, *process.children(True)]]
    return float(sum(t.user + t.system for t in times))


def _variant(env: BenchEnv, traced: bool, jobs: int, name: str) -> dict[str, Any]:
    with ExitStack() as exits:
        model = exits.enter_context(fake_openai_server())
        otel: dict[str, str] = {}
        receiver = None
        if traced:
            receiver = exits.enter_context(otlp_receiver())
            otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        spec = StackSpec(concurrency=4, worker_env={**model_env(model), **otel}, api_env=otel)
        with env.stack(spec, name, profile=False) as stack:
            pids = {"api": stack.api_pid, "worker": stack.workers[0].pid}
            run(_jobs(stack.api_url, WARMUP))
            before = {role: _cpu(pid) for role, pid in pids.items()}
            latencies = run(_jobs(stack.api_url, jobs))
            cpu = {role: (_cpu(pid) - before[role]) / jobs for role, pid in pids.items()}
            memory = {role: rss(pid) / 2**20 for role, pid in pids.items()}
        # The stack has stopped: its processes flushed their last spans on the way out.
        spans = len(receiver.spans) / (jobs + WARMUP) if receiver else 0.0
    return {
        "job_s": summary(latencies),
        "worker_cpu_ms_per_job": round(cpu["worker"] * 1000, 1),
        "api_cpu_ms_per_job": round(cpu["api"] * 1000, 1),
        "worker_rss_mib": round(memory["worker"], 1),
        "api_rss_mib": round(memory["api"], 1),
        "spans_per_job": round(spans, 1),
    }


IMPORT_CODE = (
    "import time; began = time.perf_counter(); import backend.main, worker.tasks; "
    "print(time.perf_counter() - began)"
)


def _import_seconds(redis_url: str, repeat: int = 5) -> dict[str, float]:
    """Median seconds to import the API app and the worker's tasks in a fresh process, without
    and with an endpoint (alternating, so the file cache favours neither)."""
    plain = {k: v for k, v in base_env(redis_url).items() if not k.startswith("OTEL_")}
    # Nothing listens there, and nothing is sent at import.
    envs = {"off": plain, "on": {**plain, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}}
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(repeat):
        for variant, env in envs.items():
            done = subprocess.run(
                [sys.executable, "-c", IMPORT_CODE],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=True,
            )
            times[variant].append(float(done.stdout.decode().split()[-1]))
    return {variant: round(statistics.median(t), 3) for variant, t in times.items()}


def _merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over rounds of each per-round number (latency: its p50 and p95)."""
    merged: dict[str, Any] = {
        "job_p50_s": round(statistics.median(r["job_s"]["p50"] for r in rounds), 4),
        "job_p95_s": round(statistics.median(r["job_s"]["p95"] for r in rounds), 4),
    }
    for key in rounds[0]:
        if key != "job_s":
            merged[key] = round(statistics.median(r[key] for r in rounds), 1)
    return merged


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print it; writes ``bench/results/traces.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.traces", description=__doc__)
    parser.add_argument("--jobs", type=int, default=30, help="measured jobs per variant and round")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs, alternating")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    LOGS.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    with (
        tempfile.TemporaryDirectory(prefix="agentjobs-bench-") as workdir,
        redis_server(Path(workdir)) as server,
    ):
        env = BenchEnv(server, LOGS, quick=False)
        for number in range(args.rounds):
            for variant in ("off", "on"):
                print(f"-- round {number + 1}, traces {variant} ...", flush=True)
                name = f"traces-{variant}-{number}"
                results[variant].append(_variant(env, variant == "on", args.jobs, name))
        imports = _import_seconds(server.url)
    summary_ = {v: {**_merge(r), "import_s": imports[v]} for v, r in results.items()}
    document = {"jobs": args.jobs, "rounds": results, "summary": summary_}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\n{'metric':<24}{'off':>10}{'on':>10}")
    for key in summary_["off"]:
        print(f"{key:<24}{summary_['off'][key]:>10}{summary_['on'][key]:>10}")
    print(f"\nJSON in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
