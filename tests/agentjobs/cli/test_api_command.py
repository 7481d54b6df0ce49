"""``agentjobs api`` listens where AGENTJOBS_HOST / AGENTJOBS_PORT say; options win over them."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from agentjobs.cli.redis_server import free_port
from tests.support.stack import RedisServer, base_env, running, wait_until


def _health(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code
    except httpx.HTTPError:
        return None


def test_the_api_listens_on_the_configured_port(redis_srv: RedisServer, tmp_path: Path) -> None:
    configured, given = free_port(), free_port()
    env = base_env(redis_srv.url, AGENTJOBS_HOST="127.0.0.1", AGENTJOBS_PORT=str(configured))
    with running([sys.executable, "-m", "agentjobs.cli", "api"], env, tmp_path / "api.log") as proc:
        wait_until(lambda: proc.poll() is not None or _health(configured) is not None, 30, "api")
        assert _health(configured) is not None, (tmp_path / "api.log").read_text()
    argv = [sys.executable, "-m", "agentjobs.cli", "api", "--port", str(given)]
    with running(argv, env, tmp_path / "api-given.log") as proc:
        wait_until(lambda: proc.poll() is not None or _health(given) is not None, 30, "api")
        assert _health(given) is not None and _health(configured) is None
