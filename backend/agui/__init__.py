"""AG-UI, spoken by agentjobs: CopilotKit and any AG-UI client run workflows as jobs.

``POST /ag-ui/{workflow}`` takes AG-UI's ``RunAgentInput`` and answers its event stream over
SSE; each thread is an ordinary agentjobs job (queued, run by a worker, in ``GET /jobs``).
"""

from backend.agui.routes import router

__all__ = ["router"]
