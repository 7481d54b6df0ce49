"""FastAgency's FastAPI wire protocol, spoken by agentjobs: its clients run workflows as jobs.

Point FastAgency's ``FastAPIProvider`` (and so its Mesop UI) at the agentjobs API and each run
is an ordinary agentjobs job: queued, run by a worker, visible in ``GET /jobs``.
"""

from backend.fastagency.routes import router

__all__ = ["router"]
