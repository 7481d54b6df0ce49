"""Exactly one answer wins a request: concurrent answers get 409 naming who answered, and the
winner's retry with the same Idempotency-Key is told it won (200)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.auth_api import ALICE, AuthApi
from tests.support.client import job_socket, start_job


async def test_fifty_concurrent_answers_one_wins(auth_api: AuthApi) -> None:
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with httpx.AsyncClient(base_url=auth_api.url, headers=headers, timeout=20) as http:
        job_id = await start_job(http, "deadline_question", timeout=120, default=None)
        async with job_socket(auth_api.url, job_id, token=ALICE) as ws:
            question = await ws.until("text_input")

            async def answer(n: int) -> httpx.Response:
                return await http.post(
                    f"/jobs/{job_id}/input",
                    json={"request_id": question["request_id"], "value": f"answer {n}"},
                    headers={"Idempotency-Key": f"key-{n}"},
                )

            replies = await asyncio.gather(*(answer(n) for n in range(50)))
            end = await ws.until_end()
        codes = sorted(reply.status_code for reply in replies)
        assert codes == [200] + [409] * 49, codes
        winner = next(n for n, reply in enumerate(replies) if reply.status_code == 200)
        for reply in replies:
            if reply.status_code == 409:
                assert "answered already by alice" in reply.json()["detail"]
        # The job saw the one answer that won, once.
        assert end["type"] == "workflow_completed" and end["result"] == f"answer {winner}"
        events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
        received = [e for e in events if e["type"] == "input_received"]
        assert [(e["value"], e["by"]) for e in received] == [(f"answer {winner}", "alice")]
        # A retry of the winner (its reply lost, say) with its key: 200 again, nothing changes.
        retry = await answer(winner)
        assert retry.status_code == 200, retry.text
        assert retry.json()["status"] == "succeeded"
        loser = (winner + 1) % 50
        assert (await answer(loser)).status_code == 409
        after = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
        assert len(after) == len(events)
