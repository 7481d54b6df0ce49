"""``python -m bench``: start a private stack, run the benchmarks, print the table, write JSON."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench import fastagency_compare
from bench.fanout import bench_fanout
from bench.profiling import profiled
from bench.relay_latency import bench_relay_latency
from bench.report import table, write_json
from bench.resume import bench_resume
from bench.stack import BenchEnv, Stack, StackSpec
from bench.start_latency import bench_start_latency
from bench.start_under_load import bench_start_under_load
from bench.throughput import bench_throughput
from bench.ui_latency import bench_ui_latency
from bench.waiting_jobs import bench_waiting_jobs
from tests.support.stack import ROOT, redis_server

LATEST = ROOT / "bench" / "results" / "latest.json"
COMPARE = ROOT / "bench" / "results" / "fastagency_compare.json"
LOGS = ROOT / ".run" / "bench-logs"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: ``shared`` ones run on the default stack, the others start their own."""

    name: str
    run: Callable[[BenchEnv, Stack | None], dict[str, Any]]
    shared: bool
    default: bool = True
    """Run without ``--only``; opt-in ones build or download something first."""


BENCHMARKS = [
    Benchmark("start_latency", bench_start_latency, shared=True),
    Benchmark("relay_latency", bench_relay_latency, shared=True),
    Benchmark("throughput", bench_throughput, shared=True),
    Benchmark("fanout", bench_fanout, shared=True),
    Benchmark("ui_latency", bench_ui_latency, shared=True),
    Benchmark("waiting_jobs", bench_waiting_jobs, shared=False),
    Benchmark("resume", bench_resume, shared=False),
    Benchmark("start_under_load", bench_start_under_load, shared=False),
    # Opt-in: builds FastAgency's venv on first use, and takes minutes.
    Benchmark(
        "fastagency_compare",
        fastagency_compare.bench_fastagency_compare,
        shared=False,
        default=False,
    ),
]
NAMES = [b.name for b in BENCHMARKS]
DEFAULT_STACK = StackSpec()
"""One worker with the default 32 threads, one API: what ``agentjobs up`` runs."""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a seconds-long smoke run (CI)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these (repeat or comma-separate): {', '.join(NAMES)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="JSON path (default bench/results/latest.json; .run/bench-quick.json with --quick)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record py-spy profiles of the API and workers into DIR",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for item in args.only for name in item.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    args.only = chosen or [b.name for b in BENCHMARKS if b.default]
    # Only full runs update the committed results; smoke runs stay out of git. The opt-in
    # comparison alone keeps its own file, so it never replaces the suite's results.
    full = COMPARE if args.only == ["fastagency_compare"] else LATEST
    args.out = args.out or (ROOT / ".run" / "bench-quick.json" if args.quick else full)
    return args


def machine() -> dict[str, Any]:
    """What the numbers were taken on."""
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")),
            platform.processor(),
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
    }


def _run_all(args: argparse.Namespace, env: BenchEnv) -> tuple[dict[str, Any], dict[str, str]]:
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    with ExitStack() as shared:
        stack: Stack | None = None
        for bench in BENCHMARKS:
            if bench.name not in args.only:
                continue
            if not bench.shared:
                shared.close()  # the default stack is done: free its processes' CPU and memory
                stack = None
            elif stack is None:
                stack = shared.enter_context(env.stack(DEFAULT_STACK, "default", profile=False))
            print(f"-- {bench.name} ...", flush=True)
            began = time.perf_counter()
            pids = {} if stack is None else {"api": stack.api_pid, "worker": stack.workers[0].pid}
            try:
                with profiled(pids, env.profile_dir if bench.shared else None, bench.name):
                    results[bench.name] = bench.run(env, stack)
            except Exception as exc:
                traceback.print_exc()
                errors[bench.name] = f"{type(exc).__name__}: {exc}"
            print(f"   {time.perf_counter() - began:.1f} s", flush=True)
    return results, errors


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; 0 when every one of them ran (targets do not decide it)."""
    args = _parse(argv)
    LOGS.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
        "quick": args.quick,
        "machine": machine(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with (
        tempfile.TemporaryDirectory(prefix="agentjobs-bench-") as workdir,
        redis_server(Path(workdir)) as server,
    ):
        env = BenchEnv(server, LOGS, args.quick, args.profile)
        began = time.perf_counter()
        results, errors = _run_all(args, env)
    meta["seconds"] = round(time.perf_counter() - began, 1)
    meta["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    write_json(args.out, meta, results, errors)
    print()
    print(table(results))
    if "fastagency_compare" in results:
        print("\nFastAgency side by side (agentjobs / FastAgency ratios):")
        print(fastagency_compare.table(results["fastagency_compare"]))
    for name, error in errors.items():
        print(f"FAILED {name}: {error}")
    print(
        f"\nload average before/after: {meta['load_average_before']} / "
        f"{meta['load_average_after']}; logs in {LOGS}; JSON in {args.out}"
    )
    return 1 if errors else 0
