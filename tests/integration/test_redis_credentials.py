"""A Redis that requires a password, and one behind TLS (``rediss://``): the URL's credentials
and TLS settings reach every connection (job store, broker, result backend), and no log."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentjobs.cli.redis_server import find_redis_server, free_port, redis_answers
from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker, wait_until

PASSWORD = secrets.token_urlsafe(18)


@pytest.fixture
def password_redis(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A private redis-server with ``requirepass``: (URL with the password, URL without)."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip("no redis-server")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    argv += ["no", "--dir", str(tmp_path), "--requirepass", PASSWORD]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        wait_until(lambda: redis_answers(url), 10, "redis-server with a password")
        yield url, f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A private redis-server speaking TLS only, with a password and a throwaway CA.

    Yields (URL trusting that CA, URL relying on the system's CAs).
    """
    binary = find_redis_server()
    if binary is None or shutil.which("openssl") is None:
        pytest.skip("needs redis-server and openssl")
    ca, key, csr, cert = (tmp_path / name for name in ("ca.pem", "key.pem", "req.csr", "cert.pem"))
    ca_key = tmp_path / "ca-key.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
             "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", str(key), "-out", str(csr))  # fmt: skip
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "1", "-extfile", str(tmp_path / "san.ext"),
             "-out", str(cert))  # fmt: skip
    port = free_port()
    argv = [binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(tmp_path), "--requirepass", PASSWORD]
    argv += ["--tls-cert-file", str(cert), "--tls-key-file", str(key)]
    argv += ["--tls-ca-cert-file", str(ca), "--tls-auth-clients", "no"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"rediss://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        wait_until(lambda: redis_answers(f"{base}?ssl_ca_certs={ca}"), 10, "redis-server on TLS")
        yield f"{base}?ssl_ca_certs={ca}", base
    finally:
        proc.terminate()
        proc.wait(10)


async def run_one_job(api: str) -> None:
    """Health, then a job with a question answered over the socket, to the end."""
    async with httpx.AsyncClient(base_url=api, timeout=10) as http:
        health = (await http.get("/health")).json()
        assert health["redis"] is True
        assert health["workers"]
        job_id = await start_job(http, "learning_chat")
        async with job_socket(api, job_id) as ws:
            asked = await ws.until("text_input")
            await ws.send({"type": "input", "request_id": asked["request_id"], "value": "x"})
            assert (await ws.until_end())["type"] == "workflow_completed"
        assert (await http.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"


async def test_a_job_runs_through_redis_over_tls(
    tls_redis: tuple[str, str], logs_dir: Path
) -> None:
    url, unverifiable = tls_redis
    # The server's certificate is checked: without the CA that signed it, no connection.
    assert not redis_answers(unverifiable)
    worker_log, api_log = logs_dir / "worker-tls.log", logs_dir / "api-tls.log"
    with celery_worker(url, worker_log, concurrency=2), api_server(url, api_log) as api:
        await run_one_job(api)
    assert "rediss://:**@127.0.0.1" in worker_log.read_text()
    for log in (worker_log, api_log):
        assert PASSWORD not in log.read_text(), log


async def test_a_job_runs_through_a_redis_that_requires_a_password(
    password_redis: tuple[str, str], logs_dir: Path
) -> None:
    url, anonymous = password_redis
    assert not redis_answers(anonymous)  # the password is really required
    worker_log, api_log = logs_dir / "worker-password.log", logs_dir / "api-password.log"
    with celery_worker(url, worker_log, concurrency=2), api_server(url, api_log) as api:
        await run_one_job(api)
    for log in (worker_log, api_log):
        text = log.read_text()
        assert PASSWORD not in text, log
    assert "redis://:**@127.0.0.1" in worker_log.read_text()  # Celery shows it masked
