"""Cursor rules: how stream ids order, what a trimmed cursor means, and when following a job ends.

A cursor is a Redis Stream id, ``"<ms>-<seq>"``. String order is wrong (``"9-0" > "10-0"``), so
every comparison goes through ``cursor_key``. A socket whose cursor is older than what a trimmed
log keeps closes with ``WS_4410_CURSOR_TOO_OLD`` and the reason ``cursor_too_old_reason`` gives;
the HTTP page answers ``HTTP_410_CURSOR_TOO_OLD`` with ``cursor_too_old_body``. Both name
``resume_after``, the oldest cursor that reads on; ``resume_after_from`` reads it back from a
close reason. A follower stops at an event of ``TERMINAL_TYPES`` or, when the log has nothing
more to give, once the job's status ``is_terminal_status``.
"""

from __future__ import annotations

import re

from agentjobs.protocol.events import JobStatus

START = "0"
"""The cursor before the first event."""
MAX_SEQUENCE = 10**19 - 1
"""The largest sequence number a cursor may carry."""
CURSOR_PATTERN = r"^(0|[0-9]{1,19}-[0-9]{1,19})$"
"""A valid cursor: ``0`` or ``<ms>-<seq>``.

19 digits a half: always within the unsigned 64 bits Redis allows (a 20-digit number may not
be), and far past any real stream id. ASCII digits only: ``\\d`` would take any script's
digits, which Redis refuses.
"""
WS_4410_CURSOR_TOO_OLD = 4410
"""Close code of a socket whose cursor is older than the oldest event kept (like HTTP 410)."""
HTTP_410_CURSOR_TOO_OLD = 410
"""HTTP status of an event page asked for after a cursor older than the oldest event kept."""
TERMINAL_STATUSES = frozenset(status.value for status in JobStatus if status.is_terminal)
"""The job statuses a job never leaves (``succeeded``, ``failed``, ``cancelled``)."""
_CURSOR = re.compile(CURSOR_PATTERN)
_TOO_OLD = "cursor too old: events after it were trimmed; resume after "
_RESUME_AFTER = re.compile(re.escape(_TOO_OLD) + r"([0-9]{1,19}-[0-9]{1,19})")


def cursor_key(cursor: str) -> tuple[int, int]:
    """Order stream ids numerically: ``'1700000000000-12'`` -> ``(1700000000000, 12)``."""
    ms, _, seq = cursor.partition("-")
    return int(ms or 0), int(seq or 0)


def is_after(cursor: str, than: str) -> bool:
    """True when ``cursor`` comes later in the log than ``than``."""
    return cursor_key(cursor) > cursor_key(than)


def is_cursor(text: str) -> bool:
    """True when ``text`` is a cursor a client may send (``CURSOR_PATTERN``)."""
    return _CURSOR.fullmatch(text) is not None  # not match: "$" also matches before a "\n"


def just_before(cursor: str) -> str:
    """The largest cursor smaller than ``cursor`` (reading after it starts at ``cursor``)."""
    ms, seq = cursor_key(cursor)
    return f"{ms}-{seq - 1}" if seq else f"{ms - 1}-{MAX_SEQUENCE}"


def cursor_too_old_reason(resume_after: str) -> str:
    """The close reason (and HTTP detail) for a trimmed cursor; ``resume_after_from`` reads it.

    At most 98 characters: within the 123 bytes a WebSocket close reason may carry.
    """
    return _TOO_OLD + resume_after


def cursor_too_old_body(resume_after: str) -> dict[str, str]:
    """The JSON body of the HTTP 410: ``detail`` in words and ``resume_after`` on its own."""
    return {"detail": cursor_too_old_reason(resume_after), "resume_after": resume_after}


def resume_after_from(reason: str) -> str | None:
    """The ``resume_after`` cursor named in a 4410 close reason (or 410 detail), if any."""
    found = _RESUME_AFTER.search(reason)
    return found.group(1) if found else None


def is_terminal_status(status: str) -> bool:
    """True for a status a job never leaves; any other text (``""``, unknown) is not."""
    return status in TERMINAL_STATUSES
