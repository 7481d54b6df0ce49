"""The webhook outbox's Lua builds key names from the job key: they must be keys.py's names."""

from __future__ import annotations

from agentjobs import keys
from agentjobs.scripts.outbox import OUTBOX


def test_the_outbox_builds_the_key_names_keys_py_defines() -> None:
    job = keys.job("J")
    assert keys.events("J") == job + ":events"
    assert keys.job_webhooks("J") == job + ":webhooks"
    assert keys.webhook("J", "W") == job + ":webhook:" + "W"
    assert keys.webhook_due_member("J", "W") == "J" + " " + "W"
    for fragment in ("job .. ':events'", "job .. ':webhooks'", "job .. ':webhook:' .. wid"):
        assert fragment in OUTBOX
    assert f"'{keys.WEBHOOKS_DUE}'" in OUTBOX
