"""Schemathesis, every check, over the OpenAPI schema of a running API: zero failures.

Pinned seed and 200 examples per operation (plus its coverage and stateful phases). Real job
ids and workflow names are offered half of the time, so the fuzzing also reaches the routes'
own logic on jobs that exist (queued, finished, failed) and workflows that do.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker

pytestmark = pytest.mark.heavy

TOKEN = "schemathesis-token"
SEED = 20261125
EXAMPLES = 200
ENV = {
    "AGENTJOBS_API_TOKENS": f"{TOKEN}:fuzzer",
    # Every valid start is accepted: the cap's 429 is tested elsewhere.
    "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0",
    "AGENTJOBS_CREATE_RATE_PER_USER": "0",
}


def _config(job_ids: list[str], workflows: list[str]) -> str:
    """A schemathesis.toml offering real job ids and workflow names half of the time."""
    return f"""
headers = {{ Authorization = "Bearer {TOKEN}" }}

[dictionaries.jobs]
values = {json.dumps(job_ids)}

[dictionaries.workflows]
values = {json.dumps(workflows)}

[parameters]
"path.job_id" = {{ dictionary = "jobs", probability = 0.5 }}
"body.workflow" = {{ dictionary = "workflows", probability = 0.5 }}

# The schema can only say "params is an object": each workflow's own params schema lives in
# the catalog, so params valid for OpenAPI may still fail the workflow's (422, naming the field).
[[operations]]
include-name = "POST /jobs"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 404, 409, 422, 429]

# AG-UI's body is ag-ui-protocol's RunAgentInput, whose generated schema cannot say what the
# models accept (a message union tagged by a field some members lack), and its answer is an
# event stream that runs as long as the job: test_agui.py covers its bad input instead.
[[operations]]
include-name = "POST /ag-ui/{{workflow}}"
enabled = false
"""


async def _some_jobs(api: str, isolated_db: str, logs_dir: Path) -> tuple[list[str], list[str]]:
    """Jobs in several states (and the catalog), made with a worker that then stops."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=headers) as http:
        with celery_worker(isolated_db, logs_dir / "worker-schemathesis.log", concurrency=2):
            finished = await start_job(http, "whoami")
            waiting = await start_job(http, "learning_chat")
            async with job_socket(api, finished, token=TOKEN) as ws:
                await ws.until_end()
            async with job_socket(api, waiting, token=TOKEN) as ws:
                await ws.until("text_input")
        # No worker from here on: this one stays queued.
        queued = await start_job(http, "chatty")
        workflows = [w["name"] for w in (await http.get("/workflows")).json()]
    return [finished, waiting, queued], workflows


@pytest.mark.timeout(400)  # fuzzing every route; slow when the machine is busy
async def test_schemathesis_finds_nothing(isolated_db: str, tmp_path: Path) -> None:
    api_log = tmp_path / "api.log"
    with api_server(isolated_db, api_log, **ENV) as api:
        job_ids, workflows = await _some_jobs(api, isolated_db, tmp_path)
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(job_ids, workflows))
        argv = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config),
            "run",
            f"{api}/openapi.json",
            "--checks=all",
            f"--seed={SEED}",
            f"--max-examples={EXAMPLES}",
            "--workers=2",
            "--generation-database=none",
            "--no-color",
        ]
        # Its own directory: schemathesis keeps a cache beside where it runs.
        run = await asyncio.to_thread(
            subprocess.run, argv, cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
    (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    # The failures section (each with a curl line to reproduce it), without the long summary.
    report = run.stdout.partition("FAILURES")[2].partition("WARNINGS")[0][-8000:] + run.stderr
    assert run.returncode == 0, report
    assert "No failures" in run.stdout or " passed" in run.stdout, report
    assert "Traceback" not in api_log.read_text()
