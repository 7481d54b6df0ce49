"""An invisible timer that keeps a job's page live while every Mesop handler stays short.

Why not one long generator handler that streams a whole job: Mesop queues a person's clicks
while a handler's response is still open (they would wait minutes), and gunicorn's sync
worker kills a request after its 30 s timeout (FastAgency met this, its issue #326; Mesop has
no timer of its own, mesop-dev/mesop#1016). So each refresh reads what is new after the
page's cursor for about a second, bumps ``State.tick`` and returns; this web component sees
the new ``seq`` and fires the next refresh after ``delay_ms``. Clicks wait one refresh at most.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesop as me
import mesop.env.env as mesop_env

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _serve_from_package() -> None:
    # Mesop serves web component files relative to its app base path (the working directory
    # by default). An app started elsewhere (``gunicorn main_2_mesop:app`` in a project
    # folder, or this package installed in site-packages) would point the browser outside it,
    # so the base moves to the folder holding this package when it is not already above it.
    base = Path(mesop_env.get_app_base_path()).resolve()
    if base != _PACKAGE_PARENT and base not in _PACKAGE_PARENT.parents:
        mesop_env.MESOP_APP_BASE_PATH = os.fspath(_PACKAGE_PARENT)


_serve_from_package()


@me.web_component(path="./ticker.js")  # type: ignore[untyped-decorator]
def ticker(*, seq: int, delay_ms: int, on_tick: Callable[[me.WebEvent], Any]) -> Any:
    """Fire ``on_tick`` once, ``delay_ms`` after ``seq`` takes a new value."""
    return me.insert_web_component(
        name="agentjobs-ticker",
        key="ticker",
        events={"tickEvent": on_tick},
        properties={"seq": seq, "delayMs": delay_ms},
    )
