"""Smoke test of the benchmark suite: ``python -m bench --quick`` runs, prints, writes JSON.

No thresholds: the numbers of a loaded CI machine say nothing; this only keeps the suite alive.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import METRICS
from tests.support.stack import ROOT

pytestmark = pytest.mark.heavy


@pytest.mark.timeout(600)
def test_the_quick_suite_prints_its_table_and_writes_every_metric(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    document = json.loads(out.read_text())
    assert document["errors"] == {}
    assert document["meta"]["quick"] is True
    assert document["meta"]["machine"]["cpus"] >= 1

    expected = [m for m in METRICS if not m.full_only]
    header = next(line for line in done.stdout.splitlines() if line.startswith("benchmark"))
    assert header.split() == ["benchmark", "metric", "value", "target", "met"]
    for metric in expected:
        row = metric.row(document["results"])
        assert row is not None, f"{metric.benchmark}.{metric.path} missing from the JSON"
        assert not math.isnan(row.value), f"{metric.benchmark}.{metric.path} has no value"
        assert metric.label in done.stdout, f"{metric.label!r} missing from the table"
    assert len(document["targets"]) == sum(1 for m in expected if m.limit is not None)
    assert all(isinstance(t["met"], bool) for t in document["targets"])
