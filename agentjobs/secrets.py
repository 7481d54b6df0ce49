"""Password answers at rest: sealed with the deployment's key (Fernet), or withheld without one.

The API seals an answer to a ``password=True`` input before it reaches Redis (the journal entry
and the reply list); the worker opens it. A sealed or withheld value is a one-key object, which
no answer can be (answers are strings or lists of strings), so it is told apart without a flag.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

SEALED = "sealed"
"""Key of a sealed value: ``{"sealed": "<Fernet token of the answer's JSON>"}``."""
WITHHELD = "withheld"
"""Key of a value that was not kept: ``{"withheld": true}`` (no secrets key configured)."""


class SecretUnavailable(Exception):
    """A sealed or withheld answer cannot be opened here (no key, another key, or withheld)."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key)


def check_key(key: SecretStr | None) -> SecretStr | None:
    """``key`` if it is a valid Fernet key (32 url-safe base64-encoded bytes); raises ValueError."""
    if key is not None:
        _fernet(key.get_secret_value())
    return key


def seal(value: Any, key: SecretStr | None) -> dict[str, Any]:
    """``value`` encrypted with ``key``, or withheld (nothing of it kept) when there is no key."""
    if key is None:
        return {WITHHELD: True}
    token = _fernet(key.get_secret_value()).encrypt(json.dumps(value).encode())
    return {SEALED: token.decode()}


def is_protected(value: Any) -> bool:
    """True for what ``seal`` returns."""
    return isinstance(value, dict) and len(value) == 1 and (SEALED in value or WITHHELD in value)


def unseal(value: Any, key: SecretStr | None) -> Any:
    """The answer inside a sealed ``value``; any other value is returned as it is.

    Raises ``SecretUnavailable`` for a withheld value, or a sealed one without the right key.
    The message never carries the value.
    """
    if not is_protected(value):
        return value
    if WITHHELD in value:
        raise SecretUnavailable("the password answer was not kept (no AGENTJOBS_SECRETS_KEY)")
    if key is None:
        raise SecretUnavailable("a sealed password answer needs AGENTJOBS_SECRETS_KEY to open")
    try:
        plain = _fernet(key.get_secret_value()).decrypt(str(value[SEALED]).encode())
    except InvalidToken:
        raise SecretUnavailable("a sealed password answer does not open with this key") from None
    return json.loads(plain)
