"""docs/humans.md's webhook verification snippet works as written against real signatures."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.stack import ROOT
from worker.webhook_send import signed_headers

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SNIPPET = re.compile(r"### Verifying a webhook\n.*?```python\n(?P<code>.*?)\n```", re.S)


def test_the_verification_snippet_accepts_ours_and_refuses_the_rest() -> None:
    code = SNIPPET.search((ROOT / "docs" / "humans.md").read_text())
    assert code is not None
    namespace: dict[str, object] = {}
    exec(code["code"].replace('"whsec_..."', repr(SECRET)), namespace)
    client = TestClient(namespace["app"])  # type: ignore[arg-type]
    body = '{"type":"job.succeeded","timestamp":"x","data":{"job_id":"j"}}'
    headers = signed_headers(SECRET, "msg_j_1-0_global", body)
    assert client.post("/agentjobs-hook", content=body, headers=headers).status_code == 200
    assert client.post("/agentjobs-hook", content=body, headers=headers).status_code == 200
    forged = signed_headers("whsec_" + "A" * 32, "msg_j_1-0_global", body)
    assert client.post("/agentjobs-hook", content=body, headers=forged).status_code == 400
    assert client.post("/agentjobs-hook", content=body + " ", headers=headers).status_code == 400
