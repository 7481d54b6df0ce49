"""The catalog comes from the worker; the API lists it without importing AutoGen."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from tests.support.stack import ROOT, RedisServer, base_env


async def test_workflows_lists_both_examples_with_descriptions_and_schemas(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/workflows")
    assert response.status_code == 200
    catalog = {entry["name"]: entry for entry in response.json()}
    assert {"learning_chat", "trip_planner"} <= set(catalog)
    assert "Teacher" in catalog["learning_chat"]["description"]
    for entry in catalog.values():
        assert entry["description"]
        assert entry["params_schema"]["type"] == "object"
    assert "days" in catalog["trip_planner"]["params_schema"]["properties"]
    assert "turns" in catalog["learning_chat"]["params_schema"]["properties"]


def test_the_api_never_imports_autogen(redis_srv: RedisServer, worker_proc: None) -> None:
    """Serve real requests from the API app in a fresh interpreter, then inspect its modules."""
    script = textwrap.dedent(
        """
        import sys
        from fastapi.testclient import TestClient
        from backend.main import app
        with TestClient(app) as client:
            names = [w["name"] for w in client.get("/workflows").json()]
            assert "learning_chat" in names, names
            created = client.post("/jobs", json={"workflow": "learning_chat"})
            assert created.status_code == 202, created.text
            job = created.json()["job_id"]
            assert client.get(f"/jobs/{job}").status_code == 200
            assert client.post(f"/jobs/{job}/cancel").status_code == 200
        loaded = sorted(m for m in sys.modules if m.startswith(("autogen", "worker", "examples")))
        print("LOADED", loaded)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=base_env(redis_srv.url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout, done.stdout


async def test_jobs_are_listed_newest_first(http: httpx.AsyncClient) -> None:
    ids = []
    for _ in range(3):
        created = await http.post("/jobs", json={"workflow": "trip_planner"})
        ids.append(created.json()["job_id"])
    page = (await http.get("/jobs", params={"limit": 3})).json()
    assert [job["job_id"] for job in page["jobs"]] == ids[::-1]
    assert page["total"] >= 3 and page["limit"] == 3
    second = (await http.get("/jobs", params={"limit": 1, "offset": 1})).json()
    assert second["jobs"][0]["job_id"] == ids[1]
    for job_id in ids:
        assert (await http.post(f"/jobs/{job_id}/cancel")).status_code == 200


async def test_health_reports_redis_and_the_worker(http: httpx.AsyncClient) -> None:
    body = (await http.get("/health")).json()
    assert body["status"] == "ok" and body["redis"] is True
    assert any(name.startswith("agentjobs-") for name in body["workers"])
