"""FastAgency 0.10.2's own client against agentjobs: run in the FastAgency venv, prints JSON.

Imports nothing from agentjobs (FastAgency pins versions ours do not match, so it lives in a
venv of its own, see ``tests/support/fastagency_env.py``). Commands:

    discover URL                       -> {"names": [...], "descriptions": {name: text}}
    run URL NAME PARAMS ANSWERS        -> {"messages": [...], "error": str | null}
    parse   (frames as JSON on stdin)  -> {"parsed": [{"type", "dump"}], "errors": [...]}
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from fastagency.adapters.fastapi import FastAPIProvider
from fastagency.base import CreateWorkflowUIMixin
from fastagency.messages import AskingMessage, IOMessage, MessageProcessorMixin
from websockets.exceptions import ConnectionClosedOK


class ScriptedUI(MessageProcessorMixin, CreateWorkflowUIMixin):
    """Answers questions from a script, in order, and records every message it is shown."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.messages: list[dict[str, Any]] = []

    def visit_default(self, message: IOMessage) -> str | None:
        self.messages.append({"class": type(message).__name__, "dump": message.model_dump()})
        if isinstance(message, AskingMessage):
            return self.answers.pop(0) if self.answers else None
        return None


def provider(url: str, token: str | None) -> FastAPIProvider:
    """FastAgency's client; a token rides in the query string of each path (it sends no headers)."""
    if token is None:
        return FastAPIProvider(fastapi_url=url)
    query = f"?token={token}"
    return FastAPIProvider(
        fastapi_url=url,
        initiate_workflow_path="/fastagency/initiate_workflow" + query,
        discovery_path="/fastagency/discovery" + query,
        ws_path="/fastagency/ws" + query,
    )


def discover(url: str, token: str | None) -> dict[str, Any]:
    client = provider(url, token)
    names = client.names
    return {"names": names, "descriptions": {name: client.get_description(name) for name in names}}


def run(url: str, name: str, params: dict[str, Any], answers: list[str], token: str | None) -> Any:
    ui = ScriptedUI(answers)
    error = None
    try:
        client = provider(url, token)
        client.run(name=name, ui=ui.create_workflow_ui(uuid.uuid4().hex), **params)
    except ConnectionClosedOK:
        pass  # the server closed with 1000 after workflow_completed: the run's normal end
    except Exception as exc:  # reported to the test, which decides
        error = f"{type(exc).__name__}: {exc}"
    return {"messages": ui.messages, "error": error}


def parse(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """Build each frame with FastAgency's message classes, as its client does."""
    parsed, errors = [], []
    for frame in frames:
        try:
            message = IOMessage.create(**json.loads(json.dumps(frame)))
        except Exception as exc:
            errors.append(f"{frame.get('type')}: {type(exc).__name__}: {exc}")
            continue
        parsed.append({"class": type(message).__name__, "dump": message.model_dump()})
    return {"parsed": parsed, "errors": errors}


def main(argv: list[str]) -> None:
    command, *args = argv
    token = None
    if args and args[-1].startswith("--token="):
        token = args.pop().removeprefix("--token=")
    if command == "discover":
        out = discover(args[0], token)
    elif command == "run":
        out = run(args[0], args[1], json.loads(args[2]), json.loads(args[3]), token)
    else:
        out = parse(json.load(sys.stdin))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
