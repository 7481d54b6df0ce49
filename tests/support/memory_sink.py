"""The in-memory sink tests drive a ``JobUI`` with; it lives in ``agentjobs.memory_sink``."""

from agentjobs.memory_sink import Answer, MemorySink, memory_ui

__all__ = ["Answer", "MemorySink", "memory_ui"]
