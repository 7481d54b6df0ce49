"""Worker logging: the process's log format, and the job each task is about on every line."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import setup_logging, task_postrun, task_prerun

from agentjobs import keys
from agentjobs.logging_setup import bind_job, clear_job, configure_logging
from worker.settings import get_worker_settings

log = logging.getLogger(__name__)


class TaskLineFilter(logging.Filter):
    """Names the job on Celery's lines about a run task logged outside it ("received")."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            getattr(record, "job_id", None) is None
            and isinstance(args, dict)
            and _is_run_task(args.get("name"))
        ):
            record.job_id = args.get("id")
        return True


def _is_run_task(name: object) -> bool:
    # Celery logs the shadow name (``agentjobs.run_workflow:<workflow>``) that Flower shows.
    return isinstance(name, str) and name.partition(":")[0] == keys.RUN_WORKFLOW_TASK


@setup_logging.connect  # type: ignore[untyped-decorator]
def on_setup_logging(loglevel: Any = None, **_: Any) -> None:
    """Replace Celery's own log setup with the agentjobs one (text or JSON lines)."""
    settings = get_worker_settings()
    handler = configure_logging(json_lines=settings.log_json, level=loglevel or settings.log_level)
    handler.addFilter(TaskLineFilter())


@task_prerun.connect  # type: ignore[untyped-decorator]
def on_task_start(task: Any = None, args: Any = None, **_: Any) -> None:
    """Bind the job the task runs, so every line logged while it runs names it."""
    clear_job()  # the pool's thread may still hold the previous task's job
    if getattr(task, "name", None) != keys.RUN_WORKFLOW_TASK or not args:
        return
    # The user joins once the run has read the job (no extra Redis call per task).
    bind_job(job_id=str(args[0]), workflow=str(args[1]) if len(args) > 1 else None)


@task_postrun.connect  # type: ignore[untyped-decorator]
def on_task_end(**_: Any) -> None:
    """The thread is free again: its lines are about no job."""
    clear_job()
