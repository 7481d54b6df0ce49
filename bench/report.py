"""The results table, the targets of issue 6 checked against the results, and the JSON file."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Results = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One line of the table: a metric, its value, and its target if it has one."""

    benchmark: str
    metric: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None


@dataclass(frozen=True)
class Metric:
    """Where a metric sits in the results, how to show it, and its target (if any)."""

    benchmark: str
    path: str
    label: str
    unit: str
    limit: float | None = None
    at_least: bool = False
    full_only: bool = False
    """Measured only by a full run (not ``--quick``)."""

    def row(self, results: Results) -> Row | None:
        """The table row, or None when this benchmark did not run."""
        value: Any = results.get(self.benchmark)
        for part in self.path.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        value = math.nan if value is None else float(value)  # None: NaN read back from JSON
        if self.limit is None:
            return Row(self.benchmark, self.label, value, self.unit)
        check: Callable[[float, float], bool] = operator.ge if self.at_least else operator.le
        target = f"{'>=' if self.at_least else '<='} {self.limit:g}"
        met = not math.isnan(value) and check(value, self.limit)
        return Row(self.benchmark, self.label, value, self.unit, target, met)


METRICS = [
    Metric("start_latency", "to_workflow_started_ms.p50", "POST -> workflow_started p50", "ms", 10),
    Metric("start_latency", "to_workflow_started_ms.p95", "POST -> workflow_started p95", "ms"),
    Metric("start_latency", "to_workflow_started_ms.p99", "POST -> workflow_started p99", "ms", 50),
    Metric("start_latency", "to_first_message_ms.p50", "POST -> first text_message p50", "ms", 10),
    Metric("start_latency", "to_first_message_ms.p95", "POST -> first text_message p95", "ms"),
    Metric("start_latency", "to_first_message_ms.p99", "POST -> first text_message p99", "ms", 50),
    Metric("relay_latency", "latency_ms.p50", "worker event -> client p50", "ms", 2),
    Metric("relay_latency", "latency_ms.p95", "worker event -> client p95", "ms"),
    Metric("relay_latency", "latency_ms.p99", "worker event -> client p99", "ms", 10),
    Metric("relay_latency", "burst.latency_ms.p50", "burst (no pause) p50", "ms"),
    Metric("relay_latency", "burst.events_per_s", "burst events relayed", "/s"),
    Metric("throughput", "jobs_per_s", "finished jobs", "/s"),
    Metric("throughput", "noop.per_s", "bare Celery no-op tasks", "/s"),
    Metric("throughput", "ratio", "jobs / no-op tasks", "", 0.5, at_least=True),
    Metric("throughput", "cpu_ms_per_job_total", "CPU per job (API+worker+Redis+client)", "ms"),
    Metric("throughput", "noop.cpu_ms_per_task_total", "CPU per no-op task (all processes)", "ms"),
]
for _variant in ("threads", "suspended"):
    METRICS += [
        Metric("waiting_jobs", f"{_variant}.jobs", f"{_variant}: waiting jobs", ""),
        Metric("waiting_jobs", f"{_variant}.jobs_per_worker_slot", f"{_variant}: per slot", ""),
        Metric(
            "waiting_jobs",
            f"{_variant}.worker_kib_per_waiting_job",
            f"{_variant}: worker per waiting job",
            "KiB",
            256,
        ),
        Metric(
            "waiting_jobs",
            f"{_variant}.api_kib_per_socket",
            f"{_variant}: API per socket",
            "KiB",
            64,
        ),
        Metric(
            "waiting_jobs",
            f"{_variant}.redis_kib_per_waiting_job",
            f"{_variant}: Redis per waiting job",
            "KiB",
        ),
        Metric(
            "waiting_jobs",
            f"{_variant}.answer_to_all_finished_s",
            f"{_variant}: answer all -> all finished",
            "s",
            10,
        ),
    ]
METRICS += [
    Metric("start_under_load", "waiting_jobs", "jobs waiting for input", ""),
    Metric("start_under_load", "setup_s", "time for all to reach their question", "s"),
    Metric(
        "start_under_load", "idle.to_workflow_started_ms.p99", "idle: -> workflow_started p99", "ms"
    ),
    Metric("start_under_load", "to_workflow_started_ms.p50", "POST -> workflow_started p50", "ms"),
    Metric("start_under_load", "to_workflow_started_ms.p95", "POST -> workflow_started p95", "ms"),
    Metric(
        "start_under_load",
        "to_workflow_started_ms.p99",
        "POST -> workflow_started p99",
        "ms",
        100,
    ),
    Metric(
        "start_under_load",
        "slots_full.to_workflow_started_ms.p50",
        "slots full: -> workflow_started p50",
        "ms",
    ),
    Metric(
        "start_under_load",
        "slots_full.to_workflow_started_ms.p99",
        "slots full: -> workflow_started p99",
        "ms",
        100,
    ),
]
METRICS += [
    Metric("fanout", "last_client_ms.p50", "event -> last of the clients p50", "ms"),
    Metric("fanout", "last_client_ms.p99", "event -> last of the clients p99", "ms", 25),
    Metric("ui_latency", "at_5_per_s.latency_ms.p50", "5 events/s: event -> DOM p50", "ms"),
    Metric("ui_latency", "at_5_per_s.latency_ms.p95", "5 events/s: event -> DOM p95", "ms", 72),
    Metric("ui_latency", "at_50_per_s.latency_ms.p50", "50 events/s: event -> DOM p50", "ms"),
    Metric("ui_latency", "at_50_per_s.latency_ms.p95", "50 events/s: event -> DOM p95", "ms", 100),
    Metric("ui_latency", "idle_requests_per_s.waiting_for_answer", "idle page (asking)", "req/s"),
    Metric("ui_latency", "idle_requests_per_s.finished", "idle page (finished)", "req/s"),
]
for _variant in ("tight", "defaults"):
    _full = _variant == "defaults"
    METRICS += [
        Metric(
            "resume",
            f"{_variant}.kill_to_next_event_s.p50",
            f"{_variant}: kill -> next event p50",
            "s",
            full_only=_full,
        ),
        Metric(
            "resume",
            f"{_variant}.kill_to_next_event_s.max",
            f"{_variant}: kill -> next event max",
            "s",
            full_only=_full,
        ),
        Metric(
            "resume",
            f"{_variant}.kill_to_requeued_s.p50",
            f"{_variant}: kill -> requeued p50",
            "s",
            full_only=_full,
        ),
    ]


def rows(results: Results) -> list[Row]:
    """Every row whose benchmark ran."""
    return [row for metric in METRICS if (row := metric.row(results)) is not None]


def _value(row: Row) -> str:
    if math.isnan(row.value):
        return "n/a"
    text = f"{row.value:,.0f}" if abs(row.value) >= 100 else f"{row.value:.3g}"
    return f"{text} {row.unit}".rstrip()


def table(results: Results) -> str:
    """The results as a fixed-width text table."""
    header = ("benchmark", "metric", "value", "target", "met")
    lines = [header]
    for row in rows(results):
        met = "" if row.met is None else ("yes" if row.met else "NO")
        lines.append((row.benchmark, row.metric, _value(row), row.target, met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in text)


def markdown(results: Results) -> str:
    """The results as a Markdown table (for docs/benchmarks.md)."""
    lines = ["| benchmark | metric | value | target | met |", "|---|---|---|---|---|"]
    for row in rows(results):
        met = "" if row.met is None else ("met" if row.met else "**not met**")
        target = f"{row.target} {row.unit}".rstrip() if row.target else ""
        lines.append(f"| {row.benchmark} | {row.metric} | {_value(row)} | {target} | {met} |")
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], results: Results, errors: dict[str, str]) -> None:
    """Write everything measured, and each target's verdict, as one JSON document."""
    targets = [asdict(row) for row in rows(results) if row.met is not None]
    document = {"meta": meta, "results": results, "targets": targets, "errors": errors}
    path.parent.mkdir(parents=True, exist_ok=True)
    # NaN is not JSON: a metric with no samples is written as null.
    path.write_text(json.dumps(_no_nan(document), indent=2) + "\n")


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def main() -> None:
    """``python -m bench.report [JSON]``: print a results file as a Markdown table."""
    import sys

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("bench/results/latest.json")
    print(markdown(json.loads(path.read_text())["results"]))


if __name__ == "__main__":
    main()
