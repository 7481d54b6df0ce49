"""Small registries for routing tests: two disjoint pools, one serving both, a lone one, none."""

from __future__ import annotations

from pydantic import BaseModel

from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

left = Workflows()
right = Workflows()
solo = Workflows()
empty = Workflows()
"""Registers nothing: a worker of it must refuse to start."""


@left.register(name="route_left", description="Runs only where the left pool serves it")
async def route_left(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("left")
    return "left"


@right.register(name="route_right", description="Runs only where the right pool serves it")
async def route_right(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("right")
    return "right"


@solo.register(name="route_solo", description="Served by one worker that comes and goes")
async def route_solo(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("solo")
    return "solo"


both = Workflows()
both.include(left)
both.include(right)
