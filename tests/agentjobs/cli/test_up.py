"""``agentjobs up``: the whole dev stack, a job through it, and no orphans after Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from agentjobs.cli.redis_server import free_port, redis_answers
from tests.support.stack import ROOT, TEST_WORKFLOWS, base_env, wait_until


class Output:
    """The lines a child process printed so far, read by a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream: Iterator[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def test_up_runs_everything_and_ctrl_c_leaves_no_child(tmp_path: Path) -> None:
    redis_port, api_port, ui_port, flower_port = (free_port() for _ in range(4))
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    assert not redis_answers(redis_url)  # so `up` has to start its own
    argv = [
        sys.executable,
        "-m",
        "agentjobs.cli",
        "up",
        "--port",
        str(api_port),
        "--concurrency",
        "4",
    ]
    argv += ["--ui-port", str(ui_port), "--flower", "--flower-port", str(flower_port)]
    env = base_env(
        redis_url,
        AGENTJOBS_WORKFLOWS=TEST_WORKFLOWS,
        PYTHONPATH=str(ROOT),  # the suite's workflows, from a working directory of its own
        FLOWER_BASIC_AUTH="dev:up-test",
        COLUMNS="200",
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
        for url in (f":{api_port}", f":{ui_port}", f":{flower_port}", redis_url):
            assert url in output.text, url
        children = psutil.Process(up.pid).children(recursive=True)
        names = " ".join(" ".join(child.cmdline()) for child in children)
        for role in ("redis-server", "cli worker", "cli api", "cli ui", "cli flower"):
            assert role in names, role
        assert (tmp_path / ".run" / "redis").is_dir()

        api = f"http://127.0.0.1:{api_port}"
        job = httpx.post(f"{api}/jobs", json={"workflow": "chatty", "params": {"count": 2}})
        assert job.status_code == 202, job.text
        job_id = job.json()["job_id"]

        def finished() -> bool:
            return httpx.get(f"{api}/jobs/{job_id}").json()["status"] == "succeeded"

        wait_until(finished, 30, "the job to succeed")
        assert httpx.get(f"http://127.0.0.1:{ui_port}/").status_code == 200
        login = ("dev", "up-test")
        assert httpx.get(f"http://127.0.0.1:{flower_port}/api/workers", auth=login).is_success

        up.send_signal(signal.SIGINT)
        assert up.wait(60) == 0, output.text
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, [" ".join(p.cmdline()) for p in alive]
        assert not redis_answers(redis_url)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for child in children:
            if child.is_running():
                child.kill()
