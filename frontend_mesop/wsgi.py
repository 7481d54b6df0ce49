"""WSGI glue: Mesop's app with its Google Fonts links removed, so pages load nothing external.

Mesop's ``index.html`` always links the Material Symbols font from fonts.googleapis.com (for
``me.icon``, which this UI does not use). Offline that request hangs or fails, and online it
tells Google about every page view; the page renders the same without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_EXTERNAL_FONTS = re.compile(rb"<link\b[^>]*fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*")


def without_external_fonts(app: WSGIApp) -> WSGIApp:
    """Wrap ``app`` so its HTML pages lose their links to Google's font servers."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            if not content_type.startswith("text/html"):
                return start_response(status, headers, exc_info)
            # Hold the HTML back until its body is known; everything else (Mesop's streamed
            # UI responses above all) passes through untouched.
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda _data: None

        body = app(environ, capture)
        if not captured:
            return body
        try:
            html = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        html = _EXTERNAL_FONTS.sub(b"", html)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(html))))
        start_response(captured["status"], headers, captured["exc_info"])
        return [html]

    return wrapped
