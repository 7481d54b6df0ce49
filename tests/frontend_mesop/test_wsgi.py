"""The WSGI wrapper drops Google Fonts links from HTML and passes everything else through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from frontend_mesop.wsgi import without_external_fonts

PAGE = b"""<head>
    <link rel="preconnect" href="https://fonts.googleapis.com" />
    <link rel="preconnect" href="https://fonts.gstatic.com" crossorigin />
    <link
      href="https://fonts.googleapis.com/css2?family=Material+Symbols+Rounded"
      rel="stylesheet"
    />
    <link rel="stylesheet" href="./styles.css" />
</head>"""


def _app(content_type: str, body: bytes) -> Callable[..., Iterable[bytes]]:
    def app(_environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body[:10], body[10:]]

    return app


def _call(app: Callable[..., Iterable[bytes]]) -> tuple[dict[str, str], bytes]:
    seen: dict[str, str] = {}

    def start_response(_status: str, headers: list[tuple[str, str]], _exc: Any = None) -> Any:
        seen.update(headers)

    body = b"".join(app({}, start_response))
    return seen, body


def test_html_loses_its_font_links_and_keeps_the_rest() -> None:
    headers, body = _call(without_external_fonts(_app("text/html; charset=utf-8", PAGE)))
    assert b"fonts.g" not in body
    assert b'href="./styles.css"' in body
    assert headers["Content-Length"] == str(len(body))


def test_other_responses_pass_through_untouched() -> None:
    stream = b"data: fonts.googleapis.com\n\n"
    headers, body = _call(without_external_fonts(_app("text/event-stream", stream)))
    assert body == stream and headers["Content-Length"] == str(len(stream))
