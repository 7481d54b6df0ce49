"""The seed's two-file style (``examples/seed_style``) started with the seed's own commands.

The files are copied into a fresh folder and run from there, as a user would: ``uvicorn
main_1_fastapi:app`` and ``gunicorn main_2_mesop:app``. Two changes keep the test private:
free ports instead of 8008/8888 (the API address in ``main_2_mesop.py`` follows), and
``127.0.0.1`` instead of ``0.0.0.0`` (nothing in the tests listens beyond loopback).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from agentjobs.cli.redis_server import free_port
from tests.support.stack import ROOT, RedisServer, base_env, wait_until
from tests.support.ui import open_picker, start_workflow

SEED = ROOT / "examples" / "seed_style"
BIN = Path(sys.executable).parent


@contextmanager
def _serving(
    argv: list[str], folder: Path, env: dict[str, str], log: Path, url: str
) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:

            def answers() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} exited early; see {log}")
                try:
                    return httpx.get(url, timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(answers, 30, url)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_the_seed_commands_serve_the_learning_chat(
    page: Page,
    redis_srv: RedisServer,
    worker_proc: None,
    logs_dir: Path,
    tmp_path: Path,
    requested: list[str],
) -> None:
    api_port, ui_port = free_port(), free_port()
    folder = tmp_path / "my_app"
    folder.mkdir()
    (folder / "main_1_fastapi.py").write_text((SEED / "main_1_fastapi.py").read_text())
    mesop_file = (SEED / "main_2_mesop.py").read_text()
    assert 'fastapi_url="http://localhost:8008"' in mesop_file  # as the seed writes it
    mesop_file = mesop_file.replace("localhost:8008", f"localhost:{api_port}")
    (folder / "main_2_mesop.py").write_text(mesop_file)
    # gunicorn's control socket has one path per user; keep this one out of others' way.
    env = base_env(redis_srv.url, GUNICORN_CMD_ARGS="--no-control-socket")

    api = [
        str(BIN / "uvicorn"),
        "main_1_fastapi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(api_port),
    ]
    ui = [str(BIN / "gunicorn"), "main_2_mesop:app", "-b", f"127.0.0.1:{ui_port}"]
    ui_url = f"http://127.0.0.1:{ui_port}"
    with (
        _serving(
            api, folder, env, logs_dir / "seed-api.log", f"http://127.0.0.1:{api_port}/health"
        ),
        _serving(ui, folder, env, logs_dir / "seed-ui.log", f"{ui_url}/__health__"),
    ):
        open_picker(page, ui_url)
        start_workflow(page, "learning_chat")
        answer = page.get_by_label("Your answer")
        expect(answer).to_be_enabled()
        page.get_by_text("prime numbers", exact=True).click()  # a suggestion chip
        expect(page.locator(".aj-final-succeeded")).to_contain_text("about prime numbers")
        senders = {s.strip() for s in page.locator(".aj-message .aj-sender").all_inner_texts()}
        assert {"Student", "Teacher"} <= senders

    # The live page ran from the app's folder: its live-link script came from the package.
    assert any("live.js" in url for url in requested)
    assert any("inbox_tick.js" in url for url in requested)
    assert [url for url in requested if not url.startswith(ui_url)] == []
