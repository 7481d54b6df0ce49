"""Waiting for a human and running too long each end the job with their own reason."""

from __future__ import annotations

import httpx
import pytest

from tests.support.client import job_socket, start_job


@pytest.mark.parametrize("workflow", ["impatient", "hasty"])
async def test_an_unanswered_request_fails_with_input_timeout(
    http: httpx.AsyncClient, api_url: str, workflow: str
) -> None:
    job_id = await start_job(http, workflow)
    async with job_socket(api_url, job_id) as ws:
        request = await ws.until("text_input")
        end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "input_timeout"
    assert request["request_id"] in end["error"]
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "failed" and record["reason"] == "input_timeout"
    assert record["pending"] is None
    # The expired request can no longer be answered.
    late = await http.post(
        f"/jobs/{job_id}/input", json={"request_id": request["request_id"], "value": "now"}
    )
    assert late.status_code == 409


async def test_a_run_past_its_time_limit_fails_with_timeout(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "slowpoke")
    async with job_socket(api_url, job_id) as ws:
        end = await ws.until_end()
    assert end["type"] == "workflow_failed" and end["reason"] == "timeout"
    assert "0.5 s limit" in end["error"]
    assert (await http.get(f"/jobs/{job_id}")).json()["reason"] == "timeout"
