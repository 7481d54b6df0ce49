"""The API refuses to start with missing or malformed tokens, and warns loudly in dev mode."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from agentjobs.cli.redis_server import free_port
from tests.support.stack import RedisServer, base_env, running, wait_until


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AGENTJOBS_REQUIRE_AUTH": "true"}, "AGENTJOBS_REQUIRE_AUTH is true but no tokens"),
        (
            {"AGENTJOBS_REQUIRE_AUTH": "true", "AGENTJOBS_API_TOKENS": "only-a-token"},
            "AGENTJOBS_API_TOKENS entry 1: expected token:user",
        ),
        (
            {"AGENTJOBS_API_TOKENS_FILE": "/nonexistent/agentjobs-tokens"},
            "AGENTJOBS_API_TOKENS_FILE /nonexistent/agentjobs-tokens: No such file",
        ),
    ],
)
def test_the_api_refuses_to_start_without_valid_tokens(
    redis_srv: RedisServer, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    log = tmp_path / "api.log"
    argv = [
        sys.executable,
        "-m",
        "agentjobs.cli",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
    ]
    with running(argv, base_env(redis_srv.url, **env), log) as proc:
        wait_until(lambda: proc.poll() is not None, 30, "the API to exit")
        assert proc.returncode != 0
    text = log.read_text()
    assert message in text
    assert "only-a-token" not in text
    assert "Application startup failed" in text


def test_dev_mode_warns_loudly_at_start(api_url: str, logs_dir: Path) -> None:
    """The session API runs without tokens: it said so before serving anything."""
    text = (logs_dir / "api.log").read_text()
    warning = text.index("NO AUTHENTICATION (single-user dev mode)")
    assert warning < text.index("Application startup complete")
    assert "AGENTJOBS_REQUIRE_AUTH=true" in text
    assert httpx.get(f"{api_url}/jobs/nope").json() == {"detail": "job 'nope' not found"}
