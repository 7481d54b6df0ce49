"""The seed's first file: a FastAPI app that mounts the agentjobs API with ``FastAPIAdapter``.

Run it next to a worker (which runs the workflows; this process never imports them):

    agentjobs worker
    uvicorn main_1_fastapi:app --host 0.0.0.0 --port 8008
"""

from fastapi import FastAPI

from backend.adapter import FastAPIAdapter

adapter = FastAPIAdapter()
app = FastAPI()
app.include_router(adapter.router)
