"""One webhook attempt on the wire: the destination check, the Standard Webhooks signature, the
POST to the address that was checked, and a bounded read of the answer.

The host is resolved here and every address it resolves to must be public (unless
``AGENTJOBS_WEBHOOK_ALLOW_PRIVATE``); the connection then goes to the checked address itself
(the URL's host replaced by it, the name kept in ``Host`` and in TLS's SNI and certificate
check), so a second DNS answer cannot point the request elsewhere (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_ANSWER_BYTES = 4096
"""How much of a receiver's answer is read (a snippet goes into ``last_error``)."""
USER_AGENT = "agentjobs-webhooks/1"
_NOT_PUBLIC = (
    # The narrower kinds first: ``is_private`` covers loopback and link-local ranges too.
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_unspecified", "unspecified"),
    ("is_reserved", "reserved"),
    ("is_private", "private"),
)


class DestinationRefused(Exception):
    """The URL may not be delivered to (bad URL, unresolvable, or a non-public address)."""


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the status code (None: no answer) and a short error text."""

    status_code: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the receiver took the delivery (2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300


def address_problem(address: IpAddress) -> str | None:
    """Why ``address`` is not a public destination (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for attribute, label in _NOT_PUBLIC:
        if getattr(address, attribute):
            return f"{address} is a {label} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


async def checked_address(url: str, allow_private: bool) -> IpAddress:
    """The address to connect to for ``url``; raises ``DestinationRefused``.

    Every address the name resolves to must pass: one private answer among public ones is
    refused too (it is how a rebinding attack would look).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {parts.hostname!r}: {exc}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise DestinationRefused(f"{parts.hostname!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise DestinationRefused(
                    f"{parts.hostname} resolves to {problem} (AGENTJOBS_WEBHOOK_ALLOW_PRIVATE)"
                )
    return addresses[0]


def signed_headers(
    secret: str, webhook_id: str, body: str, now: datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (a fresh timestamp and signature each)."""
    when = now or datetime.now(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, when, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _pinned(url: str, address: IpAddress) -> tuple[str, str, str]:
    """``url`` with its host replaced by ``address``; the original Host header and name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = shown if parts.port is None else f"{shown}:{parts.port}"
    host_header = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host


async def post(
    client: httpx.AsyncClient, url: str, address: IpAddress, body: str, headers: dict[str, str]
) -> Answer:
    """POST ``body`` to ``url`` at ``address``; never raises for network trouble."""
    target, host_header, name = _pinned(url, address)
    request = client.build_request(
        "POST",
        target,
        content=body.encode(),
        headers={**headers, "host": host_header},
        extensions={"sni_hostname": name},
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300])
    try:
        snippet = await _first_bytes(response)
    except httpx.HTTPError as exc:
        snippet = f"(answer unreadable: {type(exc).__name__})".encode()
    finally:
        await response.aclose()
    if 200 <= response.status_code < 300:
        return Answer(response.status_code)
    text = snippet.decode("utf-8", "replace")[:300]
    return Answer(response.status_code, f"HTTP {response.status_code}: {text}".strip())


async def _first_bytes(response: httpx.Response) -> bytes:
    """At most ``MAX_ANSWER_BYTES`` of the answer; the rest is never read."""
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= MAX_ANSWER_BYTES:
            break
    return kept[:MAX_ANSWER_BYTES]


def http_client(timeout: float) -> httpx.AsyncClient:
    """The client of one delivery attempt: no redirects, no proxies from the environment, one
    timeout for connect, write and read."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
    )
