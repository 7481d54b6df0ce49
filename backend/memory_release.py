"""Giving freed memory back to the system after sockets close (glibc's ``malloc_trim``).

A socket catching up holds a page of events, up to ``catchup_page_bytes``: strings of a few
KB each, which CPython takes from the C allocator, not its own small-object pool. Freed, they
leave holes in glibc's heap that it keeps for later instead of returning them (measured: 50
stalled sockets on 20 KB events left the API 70 MB larger for good; after ``malloc_trim(0)``
10 MB). So once sockets have closed, the process trims its heap ``TRIM_DELAY`` after the last
close, since a trim walks the whole heap (a few ms); closes keep pushing the trim back, up to
``TRIM_INTERVAL``. Elsewhere than glibc (musl, macOS) this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_DELAY = 1.0
"""Seconds after a socket closes before the heap is trimmed (closes come in waves)."""
TRIM_INTERVAL = 10.0
"""Longest a trim waits for closes to stop coming."""


def _find_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    return trim


_malloc_trim = _find_malloc_trim()
_scheduled: asyncio.TimerHandle | None = None
_first_request = 0.0


def release_freed_memory_soon() -> None:
    """Ask for a heap trim shortly (called when a socket that may have held a page closes)."""
    global _scheduled, _first_request
    if _malloc_trim is None:
        return
    loop = asyncio.get_running_loop()
    now = loop.time()
    if _scheduled is None:
        _first_request = now
    else:
        _scheduled.cancel()
    _scheduled = loop.call_at(min(now + TRIM_DELAY, _first_request + TRIM_INTERVAL), _trim)


def _trim() -> None:
    global _scheduled
    _scheduled = None
    if _malloc_trim is not None:
        released = _malloc_trim(0)
        log.debug("malloc_trim released memory: %s", bool(released))
