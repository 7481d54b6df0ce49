"""The chat page's building blocks, one module per part of the page.

Mesop serves a web component's file relative to its app base path (the working directory by
default), computed when the component is declared. An app started elsewhere (``gunicorn
main_2_mesop:app`` in a project folder, or this package installed in site-packages) would
point the browser outside it, so before any component module declares one, the base moves to
the folder holding this package when it is not already above it.
"""

from __future__ import annotations

import os
from pathlib import Path

import mesop.env.env as mesop_env

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def _serve_from_package() -> None:
    base = Path(mesop_env.get_app_base_path()).resolve()
    if base != _PACKAGE_PARENT and base not in _PACKAGE_PARENT.parents:
        mesop_env.MESOP_APP_BASE_PATH = os.fspath(_PACKAGE_PARENT)


_serve_from_package()
