"""MCP resources: each job's transcript at ``agentjobs://jobs/{id}``, for its own user only."""

from __future__ import annotations

from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_PARAMS,
    ListResourcesResult,
    ListResourceTemplatesResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    TextResourceContents,
)

from agentjobs.protocol import EVENT_ADAPTER, START, JobRecord
from backend.event_log import read_page
from backend.mcp_server.caller import Ctx, caller
from backend.mcp_server.transcript import describe
from backend.services import Services
from backend.socket_harness import CATCH_UP_PAGE

SCHEME = "agentjobs://jobs/"
TEMPLATE = SCHEME + "{job_id}"
LISTED = 50
"""How many of the caller's newest jobs ``resources/list`` shows (the template reaches all)."""
_MIME = "text/plain"


def job_uri(job_id: str) -> str:
    """The resource URI of a job's transcript."""
    return SCHEME + job_id


async def list_templates(
    _ctx: Ctx, _params: PaginatedRequestParams | None
) -> ListResourceTemplatesResult:
    """The one template: a job's transcript by id."""
    template = ResourceTemplate(
        uri_template=TEMPLATE,
        name="job transcript",
        description="Everything a job said and was told, one line per event, oldest first",
        mime_type=_MIME,
    )
    return ListResourceTemplatesResult(resource_templates=[template])


async def list_resources(ctx: Ctx, _params: PaginatedRequestParams | None) -> ListResourcesResult:
    """The transcripts of the caller's newest jobs."""
    services, user = caller(ctx)
    records, _total = await services.store.list_for_user(user, 0, LISTED)
    return ListResourcesResult(
        resources=[
            Resource(
                uri=job_uri(record.job_id),
                name=f"{record.workflow} job {record.job_id}",
                description=f"{record.status}, created {record.created_at.isoformat()}",
                mime_type=_MIME,
            )
            for record in records
        ]
    )


async def read_resource(ctx: Ctx, params: ReadResourceRequestParams) -> ReadResourceResult:
    """A job's transcript; another user's job, or no job, is "not found" alike."""
    services, user = caller(ctx)
    job_id = params.uri.removeprefix(SCHEME) if params.uri.startswith(SCHEME) else ""
    record = await services.store.get(job_id) if job_id and "/" not in job_id else None
    if record is None or record.user != user:
        raise MCPError(INVALID_PARAMS, f"resource {params.uri!r} not found")
    text = await transcript(services, record)
    return ReadResourceResult(
        contents=[TextResourceContents(uri=params.uri, mime_type=_MIME, text=text)]
    )


async def transcript(services: Services, record: JobRecord) -> str:
    """The job's log as text: a heading, then one line per event (stream chunks left out)."""
    lines = [f"job {record.job_id} ({record.workflow}): {record.status}"]
    after, more = START, True
    while more:
        page = await read_page(
            services.redis,
            record.job_id,
            after,
            CATCH_UP_PAGE,
            services.settings.catchup_page_bytes,
        )
        more = page.more and bool(page.events)
        for stored in page.events:
            after = stored.id
            event = EVENT_ADAPTER.validate_json(stored.json)
            line = describe(event)
            if line is not None:
                lines.append(f"{event.ts.isoformat(timespec='seconds')} {line}")
    return "\n".join(lines) + "\n"
