"""Settings of the API process, read once from ``AGENTJOBS_*`` variables (or ``.env``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from agentjobs.settings import UsageLimits
from agentjobs.webhook_settings import WebhookSettings


class ApiSettings(WebhookSettings, UsageLimits):
    """The API process."""

    host: str = "127.0.0.1"
    port: int = 8008
    prometheus_multiproc_dir: str | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )
    """Set (as an environment variable) when several processes serve the API: each writes its
    metrics there and ``/metrics`` adds them up (prometheus_client's multiprocess mode)."""
    default_user: str = "default"
    """The user every job belongs to in single-user dev mode (no tokens configured)."""
    api_tokens: SecretStr | None = None
    """Bearer tokens and their users: ``token1:alice,token2:bob`` (``sha256:<hex>:carol`` for a
    hashed token). With no tokens at all the API runs in single-user dev mode."""
    api_tokens_file: Path | None = None
    """A file of ``<token> <user>`` lines (``sha256:<hex> <user>`` for hashed tokens)."""
    require_auth: bool = False
    """Refuse to start when no tokens are configured (no accidental dev mode in production)."""
    max_active_jobs_per_user: int = Field(default=20, ge=0)
    """Queued, running and waiting jobs one user may have at once (0: no limit); POST /jobs
    answers 429 past it."""
    cors_origins: Annotated[list[str], NoDecode] = []
    """Browser origins allowed to call the API (comma-separated); empty: CORS off."""
    max_params_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest accepted ``params`` object, serialised."""
    max_answer_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest accepted input answer, serialised."""
    max_frame_bytes: int = Field(default=128 * 1024, ge=1024)
    """Largest accepted WebSocket frame; a larger one closes the socket with 1009."""
    max_body_bytes: int = Field(default=1024 * 1024, ge=4096)
    """Largest accepted HTTP request body; a larger one is refused with 413 before parsing."""
    socket_send_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long one send to a WebSocket client (a frame, or the frames of live events that came
    together) may wait for the client to read; past it the socket is closed (1013) and the
    client resumes from its cursor."""
    reply_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    """How long an answer waits in Redis for the worker to pick it up."""
    catchup_page_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Most bytes of events read from the log at once, for a socket catching up and for a page
    of ``GET /jobs/{id}/events`` (one event larger than this comes alone): what one request, or
    a client that stops reading, can make the API hold."""
    max_sockets_per_user: int = Field(default=50, ge=0)
    """Job streams (the WebSockets ``/jobs/{id}/ws`` and ``/fastagency/ws``, AG-UI runs' SSE
    streams, MCP requests in progress) one user may have open at once, counted across API
    processes (0: no limit); past it a handshake, an AG-UI run or an MCP request gets 429."""
    create_rate_per_user: str = "120/min"
    """How fast one user may start jobs, across API processes: ``<count>/<sec|min|hour>`` (a
    bare number is per minute; 0: no limit). Up to ``count`` at once, then one every
    ``period/count``; past it ``POST /jobs`` answers 429 with ``Retry-After``."""
    socket_queue_size: int = Field(default=1000, ge=10)
    """Live events buffered per WebSocket before it falls back to reading the log."""
    socket_queue_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    """Bytes of live events (their JSON's characters) buffered per WebSocket or AG-UI stream
    before it falls back to reading the log (one larger event is buffered alone): with
    ``socket_queue_size``, what a client that reads slowly can make the API hold."""
    max_resume_attempts: int = Field(default=5, ge=1)
    """A job under the ``resume`` policy is run at most this many times before it fails."""
    reaper_interval_seconds: float = Field(default=5.0, gt=0)
    """How often the API looks for jobs whose worker stopped renewing its lease."""
    requeue_check_seconds: float = Field(default=60.0, gt=0)
    """How long a job handed back to the queue (answered while suspended, or resumed after its
    worker was lost) may wait for a worker to start it before the reaper hands it back again:
    the first hand-back may have been lost (the broker refused it)."""
    worker_seen_seconds: int = 60
    """A worker whose heartbeat is older than this is not reported by ``/health``."""
    catalog_cache_seconds: float = Field(default=1.0, ge=0)
    """How long a start may use a workflow's catalog entry read before (per API process; 0
    reads it for every start): availability and the version a job is pinned to may be this
    much older than the workers' heartbeats."""
    fastagency_routes: bool = True
    """Serve FastAgency's wire protocol (``/fastagency/...``), so its ``FastAPIProvider`` and
    Mesop UI run workflows as agentjobs jobs unchanged; false leaves the routes out."""
    agui_routes: bool = True
    """Serve AG-UI (``POST /ag-ui/{workflow}``), so CopilotKit and other AG-UI clients run
    workflows as agentjobs jobs; false leaves the route out."""
    mcp_routes: bool = True
    """Serve MCP at ``/mcp`` (streamable HTTP), so assistants such as Claude Desktop call
    workflows as tools, each call an agentjobs job; false leaves it out."""
    fastagency_keep_alive_seconds: float = Field(default=15.0, gt=0)
    """How long a FastAgency socket stays silent before it sends a ``keep_alive`` frame."""
    fastagency_init_timeout_seconds: float = Field(default=10.0, gt=0)
    """How long a FastAgency socket waits for the client's first frame (the workflow to run)."""

    @field_validator("create_rate_per_user")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError: pydantic reports the setting by name
        return value

    @property
    def create_rate(self) -> Rate | None:
        """``create_rate_per_user`` parsed (None: no limit)."""
        return parse_rate(self.create_rate_per_user)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # One comma-separated variable is friendlier in a shell or compose file than JSON.
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


_PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``per_seconds``, in bursts of up to ``count``."""

    count: int
    per_seconds: int


def parse_rate(text: str) -> Rate | None:
    """Parse ``"30/min"`` (``/s``, ``/sec``, ``/min``, ``/hour``; a bare number is per minute);
    None for ``"0"`` (no limit). Raises ``ValueError`` for anything else."""
    count, _, period = text.strip().partition("/")
    unit = period.strip().lower() or "min"
    if not count.strip().isdigit() or unit not in _PERIODS:
        raise ValueError(f"expected <count>/<sec|min|hour> such as 30/min, got {text!r}")
    if int(count) == 0:
        return None
    return Rate(int(count), _PERIODS[unit])


@lru_cache
def get_api_settings() -> ApiSettings:
    """The API settings, read once per process."""
    return ApiSettings()
