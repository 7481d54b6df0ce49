"""The Lua scripts that change jobs, each behind one typed async function.

Each script appends its event, updates the record and publishes in one atomic step, so a job's
status never lags the event a client has just received. Every module holds one script's Lua
text beside the function that lays out its KEYS and ARGV; keys come from ``agentjobs.keys``.
The client side (API) uses ``create``, ``answer``, ``cancel`` and ``delete``; the worker
``start``, ``emit``, ``emit_batch``, ``append_journal``, ``renew_lease`` and ``suspend``; the
reaper ``reap`` and ``expire_input``.
"""

from agentjobs.scripts.answer import AnswerResult, Delivery, answer
from agentjobs.scripts.cancel import Cancellation, CancelResult, cancel
from agentjobs.scripts.create import CreateResult, Creation, create, queue_task
from agentjobs.scripts.delete import DeleteResult, Deletion, delete
from agentjobs.scripts.emit import EmitResult, Write, WriteKind, emit
from agentjobs.scripts.emit_batch import Numbered, emit_batch
from agentjobs.scripts.expire_input import ExpireResult, Expiry, expire_input
from agentjobs.scripts.journal import append_journal
from agentjobs.scripts.lease import renew_lease
from agentjobs.scripts.reap import Reaping, ReapResult, reap
from agentjobs.scripts.start import CeleryState, StartOutcome, StartResult, start
from agentjobs.scripts.suspend import Suspension, suspend

__all__ = [
    "AnswerResult",
    "CancelResult",
    "Cancellation",
    "CeleryState",
    "CreateResult",
    "Creation",
    "DeleteResult",
    "Deletion",
    "Delivery",
    "EmitResult",
    "ExpireResult",
    "Expiry",
    "Numbered",
    "ReapResult",
    "Reaping",
    "StartOutcome",
    "StartResult",
    "Suspension",
    "Write",
    "WriteKind",
    "answer",
    "append_journal",
    "cancel",
    "create",
    "delete",
    "emit",
    "emit_batch",
    "expire_input",
    "queue_task",
    "reap",
    "renew_lease",
    "start",
    "suspend",
]
