"""Cursor rules: how stream ids order, and what a client does with a cursor the log no longer holds.

A cursor is a Redis Stream id, ``"<ms>-<seq>"``. String order is wrong (``"9-0" > "10-0"``), so
every comparison goes through ``cursor_key``. A socket whose cursor is older than what a trimmed
log keeps closes with ``WS_4410_CURSOR_TOO_OLD`` and a reason naming ``resume_after``; the HTTP
page answers 410 with the same ``resume_after`` in its body.
"""

from __future__ import annotations

import re

START = "0"
"""The cursor before the first event."""
MAX_SEQUENCE = 10**19 - 1
"""The largest sequence number a cursor may carry."""
WS_4410_CURSOR_TOO_OLD = 4410
"""Close code of a socket whose cursor is older than the oldest event kept."""
_RESUME_AFTER = re.compile(r"resume after (\d+-\d+)")


def cursor_key(cursor: str) -> tuple[int, int]:
    """Order stream ids numerically: ``'1700000000000-12'`` -> ``(1700000000000, 12)``."""
    ms, _, seq = cursor.partition("-")
    return int(ms or 0), int(seq or 0)


def is_after(cursor: str, than: str) -> bool:
    """True when ``cursor`` comes later in the log than ``than``."""
    return cursor_key(cursor) > cursor_key(than)


def just_before(cursor: str) -> str:
    """The largest cursor smaller than ``cursor`` (reading after it starts at ``cursor``)."""
    ms, seq = cursor_key(cursor)
    return f"{ms}-{seq - 1}" if seq else f"{ms - 1}-{MAX_SEQUENCE}"


def cursor_too_old_reason(resume_after: str) -> str:
    """The close reason (and HTTP detail) for a trimmed cursor; ``resume_after`` is parseable."""
    return f"cursor too old: events after it were trimmed; resume after {resume_after}"


def resume_after_from(reason: str) -> str | None:
    """The ``resume_after`` cursor named in a 4410 close reason, if any."""
    found = _RESUME_AFTER.search(reason)
    return found.group(1) if found else None
