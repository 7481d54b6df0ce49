"""An answer whose requeue the broker refused is not lost: the reaper hands the job back."""

from __future__ import annotations

from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from agentjobs.cli.redis_server import free_port
from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker, wait_until

SUSPEND_AT_ONCE = {"AGENTJOBS_SUSPEND_AFTER_SECONDS": "0", "AGENTJOBS_LEASE_SECONDS": "1.5"}
# A password question suspends only when its answer can be sealed in the journal.
SECRETS = {"AGENTJOBS_SECRETS_KEY": Fernet.generate_key().decode()}


async def test_an_answer_the_queue_refused_still_resumes_the_job(
    isolated_db: str, logs_dir: Path
) -> None:
    checks = {
        "AGENTJOBS_REAPER_INTERVAL_SECONDS": "0.3",
        "AGENTJOBS_REQUEUE_CHECK_SECONDS": "1",
        **SECRETS,
    }
    # A second API process whose broker is down: its answer is recorded, its requeue refused.
    dead_broker = {"AGENTJOBS_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0", **checks}
    with (
        api_server(isolated_db, logs_dir / "api-requeue-ok.log", **checks) as api,
        api_server(isolated_db, logs_dir / "api-requeue-refused.log", **dead_broker) as broken,
        celery_worker(
            isolated_db, logs_dir / "worker-requeue.log", 2, **SUSPEND_AT_ONCE, **SECRETS
        ),
    ):
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            job_id = await start_job(http, "secret_echo")

            def suspended() -> bool:
                return bool(httpx.get(f"{api}/jobs/{job_id}").json()["suspended"])

            wait_until(suspended, 15, "the job to suspend")
            async with job_socket(api, job_id) as ws:
                question = await ws.until("text_input")
                answer = {"request_id": question["request_id"], "value": "pw"}
                response = await http.post(f"{broken}/jobs/{job_id}/input", json=answer)
                assert response.status_code == 200, response.text
                end = await ws.until_end()
        assert end["type"] == "workflow_completed", end
        assert end["result"] == "got a token of 2 characters"
    refused_log = (logs_dir / "api-requeue-refused.log").read_text()
    assert "could not requeue it after its answer" in refused_log
