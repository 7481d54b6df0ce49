"""A cursor older than a trimmed log is refused instead of silently skipping events."""

from __future__ import annotations

from typing import Any

import pytest

from backend.event_log import CursorTooOld, check_cursor


def _info(first: tuple[str, dict[str, str]] | None) -> dict[str, Any]:
    return {"length": 1, "first-entry": first}


def test_an_untrimmed_log_takes_any_cursor() -> None:
    check_cursor("0", _info(("5-0", {"t": "job_queued"})))
    check_cursor("0", _info(None))


def test_a_cursor_from_just_below_the_first_kept_event_reads_on() -> None:
    info = _info(("10-4", {"t": "text_message"}))
    check_cursor("10-3", info)
    check_cursor("10-4", info)
    check_cursor("12-0", info)


@pytest.mark.parametrize("cursor", ["0", "9-9", "10-2"])
def test_a_cursor_older_than_the_trimmed_log_is_refused(cursor: str) -> None:
    with pytest.raises(CursorTooOld) as caught:
        check_cursor(cursor, _info(("10-4", {"t": "text_message"})))
    assert caught.value.resume_after == "10-3"


def test_the_resume_point_below_a_first_sequence_number_of_zero() -> None:
    with pytest.raises(CursorTooOld) as caught:
        check_cursor("0", _info(("10-0", {"t": "text_message"})))
    assert caught.value.resume_after == "9-9999999999999999999"
    check_cursor(caught.value.resume_after, _info(("10-0", {"t": "text_message"})))
