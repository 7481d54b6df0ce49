"""The cursor rules every process shares: order, validity, the trimmed-cursor wire format, ends."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from agentjobs.client.errors import ApiError
from agentjobs.protocol import (
    CURSOR_PATTERN,
    HTTP_410_CURSOR_TOO_OLD,
    MAX_SEQUENCE,
    START,
    TERMINAL_STATUSES,
    WS_4410_CURSOR_TOO_OLD,
    JobStatus,
    cursor_key,
    cursor_too_old_body,
    cursor_too_old_reason,
    is_after,
    is_cursor,
    is_terminal_status,
    just_before,
    resume_after_from,
)

QUERY = TypeAdapter(Annotated[str, StringConstraints(pattern=CURSOR_PATTERN)])
"""How the HTTP route checks ``after`` (FastAPI's ``Query(pattern=...)`` is pydantic's)."""
LARGEST = f"{'9' * 19}-{'9' * 19}"
"""The longest cursor the API accepts."""


def test_cursors_order_numerically_not_as_text() -> None:
    assert "9-0" > "10-0"  # why the key exists
    assert cursor_key("9-0") < cursor_key("10-0") < cursor_key("10-1")
    assert cursor_key(START) == (0, 0) == cursor_key("")
    assert is_after("10-0", "9-9") and not is_after("10-0", "10-0")
    assert not is_after("9-0", "10-0")


@pytest.mark.parametrize("text", ["0", "1-0", "1712345678901-42", LARGEST])
def test_valid_cursors(text: str) -> None:
    assert is_cursor(text)
    assert QUERY.validate_python(text) == text


INVALID = ["", "00-", "1", "-1", "1-", "1-2-3", "1-0\n", "0\n", "a-b", "0-0 ", f"{'9' * 20}-0"]


@pytest.mark.parametrize("text", [*INVALID, "\u0661-\u0662"])  # Arabic-Indic digits
def test_invalid_cursors(text: str) -> None:
    # The socket (is_cursor) and the HTTP page (the pattern) refuse the same texts.
    assert not is_cursor(text)
    with pytest.raises(ValidationError):
        QUERY.validate_python(text)


@pytest.mark.parametrize(
    ("cursor", "before"), [("10-3", "10-2"), ("10-0", f"9-{MAX_SEQUENCE}"), ("1-1", "1-0")]
)
def test_just_before_is_the_largest_smaller_cursor(cursor: str, before: str) -> None:
    assert just_before(cursor) == before
    assert is_after(cursor, before) and is_cursor(before)


@pytest.mark.parametrize("resume_after", ["5-1", "1712345678901-0", LARGEST, just_before("10-0")])
def test_the_too_old_reason_carries_resume_after_back(resume_after: str) -> None:
    reason = cursor_too_old_reason(resume_after)
    assert resume_after_from(reason) == resume_after
    # A WebSocket close reason may carry at most 123 bytes.
    assert len(reason.encode()) <= 123


def test_a_reason_naming_no_cursor_has_no_resume_after() -> None:
    assert resume_after_from("job store unavailable: reconnect with your last cursor") is None
    assert resume_after_from("") is None


def test_the_http_body_and_the_close_reason_say_the_same() -> None:
    body = cursor_too_old_body("7-3")
    assert body == {"detail": cursor_too_old_reason("7-3"), "resume_after": "7-3"}
    assert (HTTP_410_CURSOR_TOO_OLD, WS_4410_CURSOR_TOO_OLD) == (410, 4410)


def test_the_client_reads_resume_after_from_either_form() -> None:
    from_http = ApiError(HTTP_410_CURSOR_TOO_OLD, "x", body=cursor_too_old_body("7-3"))
    from_socket = ApiError(HTTP_410_CURSOR_TOO_OLD, cursor_too_old_reason("7-3"))
    assert from_http.resume_after == from_socket.resume_after == "7-3"
    # Only a 410 names a place to resume: the same body on another error does not.
    assert ApiError(404, "x", body=cursor_too_old_body("7-3")).resume_after is None
    assert ApiError(HTTP_410_CURSOR_TOO_OLD, "gone").resume_after is None


def test_terminal_statuses_are_the_ones_a_job_never_leaves() -> None:
    assert {JobStatus(s) for s in TERMINAL_STATUSES} == {s for s in JobStatus if s.is_terminal}
    assert {"succeeded", "failed", "cancelled"} == TERMINAL_STATUSES
    assert all(is_terminal_status(s) for s in TERMINAL_STATUSES)
    for status in ("queued", "running", "awaiting_input", "", "unknown"):
        assert not is_terminal_status(status)
