"""JSON logs of a real API and worker: every line about a job names it (and its workflow, user)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.stack import api_server, celery_worker, wait_until

JSON_LOGS = {"AGENTJOBS_LOG_JSON": "true"}


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The JSON log lines of a process (Celery's start banner is plain text: skipped)."""
    lines = []
    for text in log.read_text().splitlines():
        if text.startswith("{"):
            lines.append(json.loads(text))
    return lines


def test_api_and_worker_lines_about_a_job_carry_it(isolated_db: str, tmp_path: Path) -> None:
    # Logs of their own: other runs of the suite share .run/test-logs and would overwrite them.
    worker_log, api_log = tmp_path / "worker.log", tmp_path / "api.log"
    with (
        celery_worker(isolated_db, worker_log, concurrency=2, **JSON_LOGS),
        api_server(isolated_db, api_log, **JSON_LOGS) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        created = http.post("/jobs", json={"workflow": "learning_chat", "params": {}})
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]

        def pending() -> dict[str, Any] | None:
            found: dict[str, Any] | None = http.get(f"/jobs/{job_id}").json()["pending"]
            return found

        wait_until(lambda: pending() is not None, 15, "the question")
        request_id = pending()["request_id"]  # type: ignore[index]
        answer = {"request_id": request_id, "value": "volcanoes"}
        assert http.post(f"/jobs/{job_id}/input", json=answer).status_code == 200
        wait_until(
            lambda: http.get(f"/jobs/{job_id}").json()["status"] == "succeeded", 30, "the end"
        )
        # The worker logs the task's end just after the job's final event: wait for that line.
        wait_until(lambda: f"[{job_id}] succeeded" in worker_log.read_text(), 10, "the log line")

    for log in (api_log, worker_log):
        about_job = [line for line in json_lines(log) if job_id in line["message"]]
        assert about_job, f"no line of {log.name} mentions the job"
        for line in about_job:
            assert line.get("job_id") == job_id, line

    api_lines = [line for line in json_lines(api_log) if line.get("job_id") == job_id]
    created_line = next(line for line in api_lines if "POST /jobs " in line["message"])
    assert (created_line["workflow"], created_line["user"]) == ("learning_chat", "default")

    # Inside the task every line names the job, its workflow and its user.
    in_task = [
        line
        for line in json_lines(worker_log)
        if line.get("job_id") == job_id and line["logger"] == "celery.app.trace"
    ]
    assert in_task
    for line in in_task:
        assert (line["workflow"], line["user"]) == ("learning_chat", "default"), line
