"""Integration tests: a real Redis, real Celery workers and real uvicorn servers."""
