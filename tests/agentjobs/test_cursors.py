"""The cursor rules every process shares: order, validity, the trimmed-cursor wire format, ends."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from agentjobs.client.errors import ApiError
from agentjobs.protocol import JobStatus, cursors

QUERY = TypeAdapter(Annotated[str, StringConstraints(pattern=cursors.CURSOR_PATTERN)])
"""How the HTTP route checks ``after`` (FastAPI's ``Query(pattern=...)`` is pydantic's)."""
LARGEST = f"{'9' * 19}-{'9' * 19}"
"""The longest cursor the API accepts."""


def test_cursors_order_numerically_not_as_text() -> None:
    assert "9-0" > "10-0"  # why the key exists
    assert cursors.cursor_key("9-0") < cursors.cursor_key("10-0") < cursors.cursor_key("10-1")
    assert cursors.cursor_key(cursors.START) == (0, 0) == cursors.cursor_key("")
    assert cursors.is_after("10-0", "9-9") and not cursors.is_after("10-0", "10-0")
    assert not cursors.is_after("9-0", "10-0")


@pytest.mark.parametrize("text", ["0", "1-0", "1712345678901-42", LARGEST])
def test_valid_cursors(text: str) -> None:
    assert cursors.is_cursor(text)
    assert QUERY.validate_python(text) == text


INVALID = ["", "00-", "1", "-1", "1-", "1-2-3", "1-0\n", "0\n", "a-b", "0-0 ", f"{'9' * 20}-0"]


@pytest.mark.parametrize("text", [*INVALID, "\u0661-\u0662"])  # Arabic-Indic digits
def test_invalid_cursors(text: str) -> None:
    # The socket (is_cursor) and the HTTP page (the pattern) refuse the same texts.
    assert not cursors.is_cursor(text)
    with pytest.raises(ValidationError):
        QUERY.validate_python(text)


@pytest.mark.parametrize(
    ("cursor", "before"), [("10-3", "10-2"), ("10-0", f"9-{cursors.MAX_SEQUENCE}"), ("1-1", "1-0")]
)
def test_just_before_is_the_largest_smaller_cursor(cursor: str, before: str) -> None:
    assert cursors.just_before(cursor) == before
    assert cursors.is_after(cursor, before) and cursors.is_cursor(before)


@pytest.mark.parametrize(
    "resume_after", ["5-1", "1712345678901-0", LARGEST, cursors.just_before("10-0")]
)
def test_the_too_old_reason_carries_resume_after_back(resume_after: str) -> None:
    reason = cursors.cursor_too_old_reason(resume_after)
    assert cursors.resume_after_from(reason) == resume_after
    # A WebSocket close reason may carry at most 123 bytes.
    assert len(reason.encode()) <= 123


def test_a_reason_naming_no_cursor_has_no_resume_after() -> None:
    assert (
        cursors.resume_after_from("job store unavailable: reconnect with your last cursor") is None
    )
    assert cursors.resume_after_from("") is None


def test_the_http_body_and_the_close_reason_say_the_same() -> None:
    body = cursors.cursor_too_old_body("7-3")
    assert body == {"detail": cursors.cursor_too_old_reason("7-3"), "resume_after": "7-3"}
    assert (cursors.HTTP_410_CURSOR_TOO_OLD, cursors.WS_4410_CURSOR_TOO_OLD) == (410, 4410)


def test_the_client_reads_resume_after_from_either_form() -> None:
    from_http = ApiError(
        cursors.HTTP_410_CURSOR_TOO_OLD, "x", body=cursors.cursor_too_old_body("7-3")
    )
    from_socket = ApiError(cursors.HTTP_410_CURSOR_TOO_OLD, cursors.cursor_too_old_reason("7-3"))
    assert from_http.resume_after == from_socket.resume_after == "7-3"
    # Only a 410 names a place to resume: the same body on another error does not.
    assert ApiError(404, "x", body=cursors.cursor_too_old_body("7-3")).resume_after is None
    assert ApiError(cursors.HTTP_410_CURSOR_TOO_OLD, "gone").resume_after is None


def test_terminal_statuses_are_the_ones_a_job_never_leaves() -> None:
    assert {JobStatus(s) for s in cursors.TERMINAL_STATUSES} == {
        s for s in JobStatus if s.is_terminal
    }
    assert {"succeeded", "failed", "cancelled"} == cursors.TERMINAL_STATUSES
    assert all(cursors.is_terminal_status(s) for s in cursors.TERMINAL_STATUSES)
    for status in ("queued", "running", "awaiting_input", "", "unknown"):
        assert not cursors.is_terminal_status(status)
