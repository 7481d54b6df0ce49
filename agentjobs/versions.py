"""Workflow versions: the default, and which of several versions is the newest.

A version is any non-empty text without ``@``. Versions are ordered numeric-aware, the way
people number releases: the text is split into runs of digits and runs of anything else; digit
runs compare as numbers, other runs as text, run by run, and a version that extends another
(``2.1`` after ``2``) is newer. So ``2`` < ``10``, ``1.9`` < ``1.10``, ``v2`` < ``v10``. This is
not semver: ``2.0-rc1`` is newer than ``2.0`` (it extends it). Where a digit run meets a text
run at the same place, the digit run is older (``2.0`` < ``2.x``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_VERSION = "1"
"""The version of a workflow registered without one (and of jobs recorded before versions)."""

_RUNS = re.compile(r"[0-9]+|[^0-9]+")


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """The sort key of ``version`` (see the module docstring for the order)."""
    return tuple(
        (0, int(run), "") if run[0] in "0123456789" else (1, 0, run)
        for run in _RUNS.findall(version)
    )


def newest(versions: Iterable[str]) -> str | None:
    """The newest of ``versions`` (None when there are none)."""
    return max(versions, key=version_key, default=None)


def check_version(version: str) -> str:
    """``version`` if it can name a version (non-empty, no ``@``, no spaces), else ValueError."""
    if not version or "@" in version or any(ch.isspace() for ch in version):
        raise ValueError(f"a workflow version is non-empty text without '@' or spaces: {version!r}")
    return version
