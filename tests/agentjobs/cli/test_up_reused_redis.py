"""``agentjobs up`` on a Redis it did not start: it says so loudly and leaves that Redis running."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import psutil

from agentjobs.cli.redis_server import free_port, redis_answers
from tests.agentjobs.cli.test_up import Output
from tests.support.stack import ROOT, TEST_WORKFLOWS, base_env, redis_server, wait_until


def test_up_warns_when_it_reuses_a_redis_and_does_not_stop_it(tmp_path: Path) -> None:
    api_port, ui_port = free_port(), free_port()
    with redis_server(tmp_path / "redis") as server:
        argv = [sys.executable, "-m", "agentjobs.cli", "up", "--port", str(api_port)]
        argv += ["--concurrency", "2", "--ui-port", str(ui_port)]
        env = base_env(
            server.url, AGENTJOBS_WORKFLOWS=TEST_WORKFLOWS, PYTHONPATH=str(ROOT), COLUMNS="200"
        )
        up = subprocess.Popen(
            argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        output = Output(up)
        children: list[psutil.Process] = []
        try:

            def banner_or_exit() -> bool:
                if up.poll() is not None:
                    raise AssertionError(f"agentjobs up exited early:\n{output.text}")
                return "agentjobs is up" in output.text

            wait_until(banner_or_exit, 90, "the banner")
            assert f"Warning: reusing the Redis that already answers at {server.url}" in output.text
            assert "not started, and not stopped, by agentjobs up" in output.text  # the banner
            children = psutil.Process(up.pid).children(recursive=True)
            assert not any("redis-server" in " ".join(c.cmdline()) for c in children)
            assert not (tmp_path / ".run" / "redis").exists()

            up.send_signal(signal.SIGINT)
            assert up.wait(60) == 0, output.text
            _, alive = psutil.wait_procs(children, timeout=15)
            assert not alive, [" ".join(p.cmdline()) for p in alive]
            assert redis_answers(server.url)  # someone else's Redis outlives the dev stack
        finally:
            if up.poll() is None:
                up.kill()
                up.wait()
            for child in children:
                if child.is_running():
                    child.kill()
