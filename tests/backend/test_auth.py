"""Tokens: parsing, hashed tokens, lookup, the dev-mode and require-auth rules, log redaction."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.requests import Request

from backend.auth import (
    DEV_MODE_WARNING,
    AuthConfigError,
    Authenticator,
    AuthError,
    TokenTable,
    hash_token,
    load_tokens,
    parse_token_file,
    parse_token_list,
    presented_token,
)
from backend.log_redaction import TokenRedactingFilter, install_token_redaction, redact
from backend.main import create_app
from backend.settings import ApiSettings


def settings(**values: object) -> ApiSettings:
    """Settings from explicit values only (no environment, no .env)."""
    return ApiSettings.model_validate(values)


def request(headers: dict[str, str] | None = None, query: str = "") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "headers": raw, "query_string": query.encode(), "path": "/"}
    return Request(scope)


def test_token_list_maps_tokens_to_users_and_accepts_hashed_ones() -> None:
    hashed = hash_token("s3cret-carol")
    table = TokenTable(tuple(parse_token_list(f"tok-a:alice, tok-b:bob,{hashed}:carol,")))
    assert table.user_for("tok-a") == "alice"
    assert table.user_for("tok-b") == "bob"
    assert table.user_for("s3cret-carol") == "carol"
    assert table.user_for(hashed) is None  # the stored hash is not itself a token
    assert table.user_for("tok-c") is None
    assert table.user_for("") is None
    assert table.users == {"alice", "bob", "carol"}


def test_tokens_are_kept_only_as_digests() -> None:
    table = TokenTable(tuple(parse_token_list("plain-token:alice")))
    assert table.entries == ((hashlib.sha256(b"plain-token").digest(), "alice"),)
    assert "plain-token" not in repr(table)


def test_token_file_lines_comments_and_hashes() -> None:
    text = f"# who may call\n\ntok-a alice\n  {hash_token('tok-b')}   bob  \n"
    table = TokenTable(tuple(parse_token_file(text)))
    assert table.user_for("tok-a") == "alice"
    assert table.user_for("tok-b") == "bob"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tok-a", "entry 1: expected token:user"),
        ("tok-a:alice,:bob", "entry 2: empty token"),
        ("tok-a:", "entry 1: user id must be"),
        ("tok-a:al ice", "entry 1: user id must be"),
        ("sha256:abcd:alice", "a hashed token is sha256: and 64 hex digits"),
    ],
)
def test_malformed_token_lists_name_the_entry_not_the_token(text: str, message: str) -> None:
    with pytest.raises(AuthConfigError, match=message) as caught:
        parse_token_list(text)
    assert "tok-a" not in str(caught.value)


def test_malformed_token_file_names_the_line() -> None:
    with pytest.raises(
        AuthConfigError, match=re.escape("tokens.txt line 2: expected '<token> <user>'")
    ):
        parse_token_file("tok-a alice\ntok-b bob extra\n", "tokens.txt")


def test_the_same_token_twice_is_refused() -> None:
    with pytest.raises(AuthConfigError, match="the same token is configured twice"):
        TokenTable(tuple(parse_token_list(f"tok-a:alice,{hash_token('tok-a')}:bob")))


def test_tokens_come_from_the_variable_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("tok-file bob\n")
    table = load_tokens(settings(api_tokens=SecretStr("tok-env:alice"), api_tokens_file=path))
    assert (table.user_for("tok-env"), table.user_for("tok-file")) == ("alice", "bob")


def test_a_missing_tokens_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match=r"AGENTJOBS_API_TOKENS_FILE .*No such file"):
        load_tokens(settings(api_tokens_file=tmp_path / "absent"))


def test_tokens_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTJOBS_API_TOKENS", "tok-a:alice")
    monkeypatch.setenv("AGENTJOBS_CORS_ORIGINS", "https://chat.example, http://localhost:8888")
    loaded = ApiSettings()
    assert loaded.api_tokens is not None
    assert "tok-a" not in repr(loaded)  # a SecretStr
    assert loaded.cors_origins == ["https://chat.example", "http://localhost:8888"]


def test_dev_mode_is_the_default_user_and_warns_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="backend.auth"):
        auth = Authenticator.from_settings(settings(default_user="solo"))
    assert auth.dev_mode
    assert auth.authenticate(request()) == "solo"
    assert auth.authenticate(request({"Authorization": "Bearer anything"})) == "solo"
    assert "NO AUTHENTICATION" in caplog.text
    assert "'solo'" in caplog.text
    assert "NO AUTHENTICATION" in DEV_MODE_WARNING


def test_require_auth_without_tokens_refuses_with_a_clear_error() -> None:
    with pytest.raises(AuthConfigError, match="AGENTJOBS_REQUIRE_AUTH is true but no tokens"):
        Authenticator.from_settings(settings(require_auth=True))
    auth = Authenticator.from_settings(settings(require_auth=True, api_tokens="tok-a:alice"))
    assert not auth.dev_mode


def test_authenticate_reads_the_header_first_then_the_query() -> None:
    auth = Authenticator.from_settings(settings(api_tokens="tok-a:alice,tok-b:bob"))
    assert auth.authenticate(request({"Authorization": "Bearer tok-a"})) == "alice"
    assert auth.authenticate(request({"Authorization": "bearer  tok-b "})) == "bob"
    assert auth.authenticate(request(query="after=0&token=tok-b")) == "bob"
    assert auth.authenticate(request({"Authorization": "Bearer tok-a"}, "token=tok-b")) == "alice"


@pytest.mark.parametrize(
    ("headers", "query", "error"),
    [
        ({}, "", None),
        ({"Authorization": "Basic dG9rLWE="}, "", None),
        ({"Authorization": "Bearer "}, "", None),
        ({}, "token=", None),
        ({"Authorization": "Bearer tok-z"}, "", "invalid_token"),
        ({}, "token=tok-z", "invalid_token"),
    ],
)
def test_missing_or_wrong_tokens_are_refused(
    headers: dict[str, str], query: str, error: str | None
) -> None:
    auth = Authenticator.from_settings(settings(api_tokens="tok-a:alice"))
    with pytest.raises(AuthError) as caught:
        auth.authenticate(request(headers, query))
    assert caught.value.error == error
    assert caught.value.challenge.startswith("Bearer")
    assert "tok-z" not in caught.value.detail


def test_presented_token_ignores_other_schemes() -> None:
    assert presented_token(request({"Authorization": "Token tok-a"})) is None


def test_redact_hides_token_values_only() -> None:
    line = '127.0.0.1:5 - "GET /jobs/x/ws?after=0&token=tok-a&limit=3 HTTP/1.1" 200'
    assert (
        redact(line)
        == '127.0.0.1:5 - "GET /jobs/x/ws?after=0&token=[redacted]&limit=3 HTTP/1.1" 200'
    )
    assert redact("/x?token=tok-a") == "/x?token=[redacted]"
    assert redact("/x?access_token=keep&after=0") == "/x?access_token=keep&after=0"


def test_the_filter_keeps_uvicorn_access_args_in_shape() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/jobs?token=tok-a", "1.1", 200), None,
    )  # fmt: skip
    assert TokenRedactingFilter().filter(record)
    assert record.args == ("127.0.0.1:5", "GET", "/jobs?token=[redacted]", "1.1", 200)
    assert "tok-a" not in record.getMessage()


def test_install_is_idempotent_and_covers_the_websocket_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_token_redaction()
    install_token_redaction()
    logger = logging.getLogger("uvicorn.error")
    assert sum(isinstance(f, TokenRedactingFilter) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/jobs/x/ws?token=tok-a")
    assert "tok-a" not in caplog.text
    assert "token=[redacted]" in caplog.text


def _preflight(app: FastAPI, origin: str) -> tuple[int, str | None]:
    client = TestClient(app)  # no lifespan: the CORS middleware answers preflights itself
    response = client.options(
        "/jobs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    return response.status_code, response.headers.get("access-control-allow-origin")


def test_cors_is_off_by_default() -> None:
    status, allowed = _preflight(create_app(settings()), "https://evil.example")
    assert status == 405
    assert allowed is None


def test_cors_allows_only_the_configured_origins() -> None:
    app = create_app(settings(cors_origins="https://chat.example"))
    assert _preflight(app, "https://chat.example") == (200, "https://chat.example")
    status, allowed = _preflight(app, "https://evil.example")
    assert status == 400
    assert allowed is None
