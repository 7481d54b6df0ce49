"""Settings every agentjobs process shares (Redis, Celery, logging), from ``AGENTJOBS_*`` variables.

Each service subclasses ``RedisSettings`` with its own settings object, read once. The worker
also subclasses ``ModelSettings``, the model ``chat_client`` uses, which lives here so that
the AutoGen bridge needs no service's settings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agentjobs.model_limits import ModelPrice, ModelRate, parse_prices, parse_rate_limits
from agentjobs.secrets import check_key


class RedisSettings(BaseSettings):
    """What every agentjobs process needs to reach Redis and Celery."""

    model_config = SettingsConfigDict(env_prefix="AGENTJOBS_", env_file=".env", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    """The job store: records, event logs, live channels, replies."""
    broker_url: str | None = None
    """Celery broker and result backend; defaults to ``redis_url``."""
    redis_max_connections: int = Field(default=200, ge=4)
    """Size of each process's blocking connection pool (it waits instead of failing when full)."""
    event_log_maxlen: int = Field(default=100_000, ge=100)
    """Approximate cap on a job's event log length."""
    retention_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    """How long a finished job's record and events are kept."""
    visibility_timeout_seconds: int = Field(default=30, ge=5)
    """How long a task a worker fetched but never started (it died) waits to be redelivered."""
    log_json: bool = False
    """Write log lines as JSON objects (one per line) instead of text."""
    log_level: str = "INFO"
    """The lowest level of log lines written."""
    secrets_key: SecretStr | None = None
    """Fernet key sealing password answers in Redis (the API seals, the worker opens: give both
    the same). Without one they are never journaled, so such a job cannot be replayed past the
    question (see docs/security.md)."""
    task_events: bool = True
    """Celery task events (sent, received, started, succeeded, ...): what Flower shows live.
    Off saves a Redis publish per event, four or more per run (docs/benchmarks.md)."""
    task_states: bool = True
    """Mirror each job's state into Celery's result backend (STARTED, AWAITING_INPUT, SUCCESS,
    ...): what ``AsyncResult``, ``celery inspect`` and Flower's task result show. Off saves two
    or more result-backend writes per run; the job record stays the truth either way."""

    otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    """OpenTelemetry's standard variable: export traces over OTLP/HTTP to ``<it>/v1/traces``.
    Unset (and no ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``): no tracing at all (agentjobs.tracing)."""
    otlp_traces_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    """The full OTLP/HTTP traces URL, when it is not ``<endpoint>/v1/traces``."""

    @field_validator("secrets_key")
    @classmethod
    def _valid_secrets_key(cls, key: SecretStr | None) -> SecretStr | None:
        return check_key(key) if key is not None and key.get_secret_value() else None

    @property
    def celery_broker_url(self) -> str:
        """The broker URL actually used."""
        return self.broker_url or self.redis_url

    @property
    def broker_is_store(self) -> bool:
        """Celery's broker and result backend are the job store's Redis (the default): one
        script can then queue a task, or write its state, with the job's own keys."""
        return self.celery_broker_url == self.redis_url


class UsageLimits(BaseSettings):
    """Per-user daily model budgets: the worker checks them before each model call, the API
    before it accepts a job (``POST /jobs`` answers 429 with when the day resets)."""

    model_config = SettingsConfigDict(env_prefix="AGENTJOBS_", env_file=".env", extra="ignore")

    user_daily_tokens: int | None = Field(default=None, ge=1)
    """Model tokens (prompt + completion) one user's jobs may use per UTC day (None: no limit)."""
    user_daily_cost_usd: float | None = Field(default=None, gt=0)
    """Model cost in USD one user's jobs may run up per UTC day (needs prices; None: no limit)."""
    usage_retention_days: int = Field(default=90, ge=2)
    """How long the per-day usage counters behind ``GET /usage`` are kept."""


class ModelSettings(UsageLimits):
    """The model workflows talk to through ``chat_client`` (a worker reads it with its own)."""

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AGENTJOBS_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    """With a key, the examples use a real OpenAI-compatible model; without, a scripted one."""
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("AGENTJOBS_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    model: str = "gpt-4o-mini"
    """The model name sent to the OpenAI-compatible server (``AGENTJOBS_MODEL``)."""
    model_prices: Annotated[dict[str, ModelPrice], NoDecode] = {}
    """USD per million prompt/completion tokens: ``gpt-4o-mini=0.15/0.60,gpt-4o=2.5/10``
    (``*`` for any other model). Without a price a model's calls have no ``cost_usd``."""
    model_rate_limits: Annotated[dict[str, ModelRate], NoDecode] = {}
    """Global limits per model, shared by every worker: ``gpt-4o-mini=500/min:200000tpm``
    (``<n>/s`` or ``<n>/min`` requests, ``<n>tpm`` or ``<n>tps`` tokens; ``*`` for any other
    model). A call waits for its turn."""
    model_max_retries: int = Field(default=6, ge=0, le=50)
    """How often a model call answered 429, 5xx or not at all is tried again (with backoff,
    honouring ``Retry-After``) before the error reaches the workflow."""
    model_max_backoff_seconds: float = Field(default=60.0, gt=0)
    """The longest wait before one retry (a longer ``Retry-After`` is cut to this)."""

    @field_validator("model_prices", mode="before")
    @classmethod
    def _parse_prices(cls, value: Any) -> Any:
        return parse_prices(value) if isinstance(value, str) else value

    @field_validator("model_rate_limits", mode="before")
    @classmethod
    def _parse_rate_limits(cls, value: Any) -> Any:
        return parse_rate_limits(value) if isinstance(value, str) else value


@lru_cache
def get_model_settings() -> ModelSettings:
    """The model settings, read once per process."""
    return ModelSettings()
