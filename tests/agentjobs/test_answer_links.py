"""Answer link tokens: they verify with their key only, and not after they expire."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from agentjobs.answer_links import LinkExpired, LinkForged, link_key, mint, verify

KEY = link_key(SecretStr("one key"))
LATER = datetime.now(UTC) + timedelta(hours=1)


def _signature_changed(token: str) -> str:
    """The token with one bit of its signature flipped (a fixed suffix could equal it)."""
    claims, _, signature = token.partition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    return f"{claims}.{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def test_a_token_names_its_job_and_request() -> None:
    claims = verify(KEY, mint(KEY, "job1", "req1", LATER))
    assert (claims.job_id, claims.request_id) == ("job1", "req1")
    assert claims.expires_at == LATER.replace(microsecond=0)


@pytest.mark.parametrize(
    "token",
    [
        mint(link_key(SecretStr("another key")), "job1", "req1", LATER),
        _signature_changed(mint(KEY, "job1", "req1", LATER)),
        "x" + mint(KEY, "job1", "req1", LATER),
        "no-dot",
        ".",
        "é.é",
    ],
    # Named, not by value: the tokens hold the time, and test processes (pytest -n) must
    # collect the same test ids.
    ids=["another-key", "changed-signature", "changed-claims", "no-dot", "dot", "not-base64"],
)
def test_a_forged_token_is_refused(token: str) -> None:
    with pytest.raises(LinkForged):
        verify(KEY, token)


def test_an_expired_token_is_refused() -> None:
    token = mint(KEY, "job1", "req1", datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        verify(KEY, token)
