"""Two deploys of the same workflows, for the version tests.

``one`` is the first deploy: ``versioned`` at version 1 and ``patchy`` (version 1, old code).
``two`` is the next: ``versioned`` at version 2 (a change replays cannot follow) and ``patchy``
still version 1, its change guarded by ``ui.patched`` so that old jobs finish on the new code.
Each result names the code that produced it.
"""

from __future__ import annotations

from pydantic import BaseModel

from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

one = Workflows()
two = Workflows()


@one.register(name="versioned", description="Asks a name (v1)", version="1")
async def versioned_v1(ui: JobUI, _params: BaseModel) -> str:
    name = await ui.text_input("Name?")
    return f"v1 greets {name}"


@two.register(name="versioned", description="Asks a name (v2)", version="2")
async def versioned_v2(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("v2 asks differently")  # a replay of a v1 journal would diverge
    name = await ui.text_input("Your name?")
    return f"v2 greets {name}"


@one.register(name="patchy", description="Asks a name (old code)")
async def patchy_old(ui: JobUI, _params: BaseModel) -> str:
    name = await ui.text_input("Name?")
    return f"old code: hello {name}"


@two.register(name="patchy", description="Asks a name (patched code)")
async def patchy_new(ui: JobUI, _params: BaseModel) -> str:
    loud = ui.patched("loud-greeting")  # False while replaying a job recorded before it
    name = await ui.text_input("Name?")
    return f"new code: {'HELLO' if loud else 'hello'} {name}"
