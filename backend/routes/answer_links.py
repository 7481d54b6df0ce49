"""Answer links: ``GET /answer/{token}`` shows the question, ``POST`` answers it, no API token.

The token (``agentjobs.answer_links``) is the credential: it names one request of one job and
expires with the request's deadline. A forged token is a 403, an expired one a 410, a used one
(its request is no longer pending) a 410 to read and a 409 to answer. Answers go through
``submit_answer``, the path of ``POST /jobs/{id}/input``, as the job's owner. Tokens are kept
out of the server's logs (``backend.log_redaction``) and out of referrers (``no-referrer``).
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from agentjobs.answer_links import LinkClaims, LinkExpired, LinkForged, link_key, verify
from agentjobs.protocol import InputRequest, JobRecord, MultipleChoice, TextInput
from agentjobs.protocol.webhooks import AnswerLinkView, LinkAnswer
from backend.answers import AnswerRejected, submit_answer
from backend.deps import ServicesDep
from backend.services import Services

router = APIRouter(tags=["answer links"])

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
"""The page carries a credential in its URL: never cached, framed or sent on as a referrer."""
_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a valid answer link (forged or damaged)"},
    404: {"description": "Answer links are not enabled here (no AGENTJOBS_PUBLIC_URL)"},
    410: {"description": "The link expired, or its request is no longer pending (used)"},
}


def _claims(services: Services, token: str) -> LinkClaims:
    settings = services.settings
    if not settings.public_url or settings.secrets_key is None:
        raise HTTPException(404, "answer links are not enabled on this server")
    try:
        return verify(link_key(settings.secrets_key), token)
    except LinkForged as exc:
        raise HTTPException(403, "this answer link is not valid") from exc
    except LinkExpired as exc:
        raise HTTPException(410, str(exc)) from exc


async def _job(services: Services, claims: LinkClaims) -> JobRecord:
    record = await services.store.get(claims.job_id)
    if record is None:
        raise HTTPException(410, "the job of this link no longer exists")
    return record


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


@router.get("/answer/{token}", responses=_ERRORS, response_model=AnswerLinkView)
async def show_question(token: str, request: Request, services: ServicesDep) -> Response:
    """The question the link answers (JSON, or an HTML form for a browser)."""
    claims = _claims(services, token)
    record = await _job(services, claims)
    pending = record.pending
    if pending is None or pending.request_id != claims.request_id:
        raise HTTPException(410, "this link was used: its request is no longer pending")
    if _wants_html(request):
        return HTMLResponse(_page(record, pending), headers=PRIVATE_HEADERS)
    view = AnswerLinkView(
        job_id=record.job_id,
        workflow=record.workflow,
        request=pending,
        expires_at=claims.expires_at,
    )
    return JSONResponse(view.model_dump(mode="json"), headers=PRIVATE_HEADERS)


@router.post(
    "/answer/{token}",
    responses={
        **_ERRORS,
        409: {"description": "The request was answered already (the link was used)"},
        413: {"description": "Answer too large"},
        422: {"description": "The value does not fit the request"},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LinkAnswer.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": {"value": {"type": "string"}}}
                },
            }
        }
    },
)
async def answer_question(token: str, request: Request, services: ServicesDep) -> Response:
    """Answer the link's request: JSON ``{"value": ...}`` or the HTML form's fields."""
    claims = _claims(services, token)
    record = await _job(services, claims)
    value = await _value(request)
    try:
        await submit_answer(
            services.store, record, claims.request_id, value, services.settings.max_answer_bytes
        )
    except AnswerRejected as exc:
        raise HTTPException(exc.status_code, exc.detail) from exc
    if _wants_html(request) or _is_form(request):
        return HTMLResponse(_done(), headers=PRIVATE_HEADERS)
    answered = {"job_id": record.job_id, "request_id": claims.request_id, "answered": True}
    return JSONResponse(answered, headers=PRIVATE_HEADERS)


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


async def _value(request: Request) -> Any:
    """The answer in the body: ``LinkAnswer`` JSON, or form fields (``value`` repeated for a
    choice of several; ``decision`` and ``reason`` for a tool approval)."""
    raw = await request.body()
    if _is_form(request):
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        if "decision" in fields:
            decision = {"decision": fields["decision"][0]}
            reason = fields.get("reason", [""])[0]
            return decision | ({"reason": reason} if reason else {})
        values = fields.get("value", [])
        if not values:
            raise HTTPException(422, "the form has no value field")
        return values if fields.get("several") else values[0]
    try:
        return LinkAnswer.model_validate_json(raw).value
    except ValidationError as exc:
        errors = json.loads(exc.json(include_url=False, include_context=False))
        raise HTTPException(422, errors) from exc


def _page(record: JobRecord, pending: InputRequest) -> str:
    """A small self-contained form for the question."""
    esc = html.escape
    prompt = esc(pending.prompt)
    if isinstance(pending, MultipleChoice):
        several = "" if pending.single else '<input type="hidden" name="several" value="1">'
        kind = "radio" if pending.single else "checkbox"
        options = "".join(
            f'<label><input type="{kind}" name="value" value="{esc(choice)}"> {esc(choice)}'
            "</label><br>"
            for choice in pending.choices
        )
        inputs = f"{several}{options}<button>Answer</button>"
    elif isinstance(pending, TextInput):
        kind = "password" if pending.password else "text"
        inputs = f'<input type="{kind}" name="value" autofocus required> <button>Answer</button>'
    else:  # a tool approval
        arguments = esc(json.dumps(getattr(pending, "arguments", {}), indent=2))
        inputs = (
            f"<pre>{arguments}</pre>"
            '<input name="reason" placeholder="reason (for a rejection)"> '
            '<button name="decision" value="approve">Approve</button> '
            '<button name="decision" value="reject">Reject</button>'
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>agentjobs: a question</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        '<body style="font-family:sans-serif;max-width:40em;margin:2em auto">'
        f"<p>{esc(record.workflow)} asks:</p><h2>{prompt}</h2>"
        f'<form method="post">{inputs}</form></body></html>'
    )


def _done() -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>agentjobs: answered</title>'
        '</head><body style="font-family:sans-serif;max-width:40em;margin:2em auto">'
        "<p>Thank you: your answer was sent. This link cannot be used again.</p></body></html>"
    )
