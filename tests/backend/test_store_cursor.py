"""A cursor older than a trimmed log is refused instead of silently skipping events."""

from __future__ import annotations

from typing import Any

import pytest

from backend.store import CursorTooOld, _check_cursor


def _info(deleted: str | None, first: tuple[str, dict[str, str]] | None) -> dict[str, Any]:
    info: dict[str, Any] = {"first-entry": first}
    if deleted is not None:
        info["max-deleted-entry-id"] = deleted
    return info


def test_an_untrimmed_log_takes_any_cursor() -> None:
    _check_cursor("0", _info("0-0", ("5-0", {"t": "job_queued"})))
    _check_cursor("0", _info(None, ("5-0", {"t": "job_queued"})))
    _check_cursor("0", _info(None, None))


def test_a_cursor_at_or_past_the_last_trimmed_event_reads_on() -> None:
    info = _info("10-3", ("10-4", {"t": "text_message"}))
    _check_cursor("10-3", info)
    _check_cursor("12-0", info)


@pytest.mark.parametrize("cursor", ["0", "9-9", "10-2"])
def test_a_cursor_before_the_trim_point_is_too_old(cursor: str) -> None:
    with pytest.raises(CursorTooOld) as caught:
        _check_cursor(cursor, _info("10-3", ("10-4", {"t": "text_message"})))
    assert caught.value.resume_after == "10-3"


def test_without_the_trim_point_the_first_kept_entry_decides() -> None:
    # Redis before 7: a log not starting with job_queued was trimmed.
    info = _info(None, ("10-4", {"t": "text_message"}))
    _check_cursor("10-3", info)
    with pytest.raises(CursorTooOld) as caught:
        _check_cursor("10-2", info)
    assert caught.value.resume_after == "10-3"
    with pytest.raises(CursorTooOld) as caught:
        _check_cursor("0", _info(None, ("10-0", {"t": "text_message"})))
    assert caught.value.resume_after == f"9-{2**64 - 1}"
