"""Model usage as Prometheus counters, kept in the job metrics hash (``agentjobs.job_metrics``).

The usage script adds each model call to the hash as it adds it to the job, so ``/metrics``
(any API process) and ``GET /usage`` count the same calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from prometheus_client.core import CounterMetricFamily, Metric

from agentjobs.job_metrics import field

MODEL_CALLS = "agentjobs_model_calls"
MODEL_TOKENS = "agentjobs_model_tokens"
MODEL_COST = "agentjobs_model_cost_usd"
MODEL_SECONDS = "agentjobs_model_call_seconds"

_COUNTERS = {
    MODEL_CALLS: ("Model calls made by jobs, by model and workflow", ["model", "workflow"]),
    MODEL_TOKENS: (
        "Model tokens used by jobs, by model, workflow and kind (prompt or completion)",
        ["model", "workflow", "kind"],
    ),
    MODEL_COST: ("Model cost in USD of jobs' calls to priced models", ["model", "workflow"]),
    MODEL_SECONDS: (
        "Seconds jobs' model calls took (rate over calls' rate: mean latency)",
        ["model", "workflow"],
    ),
}


def call_increments(
    *,
    model: str,
    workflow: str,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: float | None,
    seconds: float,
) -> dict[str, float]:
    """What one model call adds to the metrics hash."""
    labels = {"model": model, "workflow": workflow}
    changes = {
        field(MODEL_CALLS, labels, "count"): 1.0,
        field(MODEL_TOKENS, labels | {"kind": "prompt"}, "count"): float(prompt_tokens),
        field(MODEL_TOKENS, labels | {"kind": "completion"}, "count"): float(completion_tokens),
        field(MODEL_SECONDS, labels, "count"): round(seconds, 6),
    }
    if cost_usd is not None:
        changes[field(MODEL_COST, labels, "count")] = cost_usd
    return changes


def usage_families(raw: Mapping[str, str]) -> list[Metric]:
    """The usage counters in the metrics hash as read with ``HGETALL``."""
    families = {
        name: CounterMetricFamily(name, doc, labels=labels)
        for name, (doc, labels) in _COUNTERS.items()
    }
    for key, value in sorted(raw.items()):
        try:
            metric, labels, part = json.loads(key)
        except (ValueError, TypeError):
            continue  # not ours: ignore rather than break the scrape
        if metric in families and part == "count":
            names = _COUNTERS[metric][1]
            families[metric].add_metric([labels.get(n, "") for n in names], float(value))
    return list(families.values())
