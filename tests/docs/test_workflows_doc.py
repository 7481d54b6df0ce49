"""docs/workflows.md works as written: its files pass their own tests without Redis, and the
workflow runs through ``agentjobs.testing`` on a local OpenAI-compatible server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_openai import MARKER, fake_openai_server
from tests.support.stack import ROOT

DOC = ROOT / "docs" / "workflows.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<name>[\w./-]+) -->\n```python\n(?P<code>.*?)\n```\n", re.S)
EXPECTED_FILES = {"my_workflows.py", "all_workflows.py", "test_my_workflows.py", "try_it.py"}
DOC_TESTS = 5
"""The tests test_my_workflows.py holds: a test dropped from the doc fails here."""


def doc_files() -> dict[str, str]:
    """The files docs/workflows.md spells out, by name."""
    return {m["name"]: m["code"] + "\n" for m in FILE_BLOCK.finditer(DOC.read_text())}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding the doc's files and nothing else (no .env, no conftest)."""
    for name, code in doc_files().items():
        (tmp_path / name).write_text(code)
    return tmp_path


def _env(folder: Path, **extra: str) -> dict[str, str]:
    """This venv's environment with the doc's folder importable; no Redis, no model key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENTJOBS_", "OPENAI_", "PYTEST_", "PYTHON"))
    }
    # An unreachable Redis: anything that tried to use one would fail, not find the suite's.
    return {
        **env,
        "PYTHONPATH": str(folder),
        "AGENTJOBS_REDIS_URL": "redis://127.0.0.1:9/0",
        **extra,
    }


def test_the_doc_marks_each_file_it_describes() -> None:
    assert set(doc_files()) == EXPECTED_FILES
    for name, code in doc_files().items():
        compile(code, name, "exec")
    text = DOC.read_text()
    for needed in (
        "from agentjobs import JobUI, Workflows, chat_client",
        "from agentjobs.testing import run_workflow",
        "AGENTJOBS_WORKFLOWS=my_workflows:registry",
        "PYTHONPATH",
        "agentjobs worker",
        "agentjobs run packing_list",
        "## Porting from FastAgency / AG2",
    ):
        assert needed in text, needed


def test_the_docs_pytest_file_passes_without_redis(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_workflows.py"],
        cwd=folder,
        env=_env(folder, OPENAI_API_KEY="must-not-be-used"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{DOC_TESTS} passed" in done.stdout, done.stdout
    assert "failed" not in done.stdout


def test_try_it_runs_offline(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "try_it.py"],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.splitlines()[-1]
    assert last.startswith("succeeded {'city': 'Oslo'")
    assert "For 2 days in Oslo: a rain jacket" in last
    assert "tool_call Packer" in done.stdout
    assert MARKER not in done.stdout


def test_the_workflow_runs_on_a_local_openai_compatible_server(folder: Path) -> None:
    with fake_openai_server() as server:
        env = _env(
            folder,
            OPENAI_API_KEY="local-key",
            OPENAI_BASE_URL=server.base_url,
            AGENTJOBS_MODEL="local-model",
        )
        done = subprocess.run(
            [sys.executable, "try_it.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        received = server.received

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("succeeded {'city': 'Oslo'")
    assert f"'list': '{MARKER} reply 2 to local-model: Pack for 2 days in Oslo" in lines[-1]
    assert "'traveller': 'Looks good.'" in lines[-1]
    # The server saw the Packer's two calls: offered the tool, then given its result.
    assert len(received) == 2
    first, second = (r.body for r in received)
    assert {r.headers["authorization"] for r in received} == {"Bearer local-key"}
    assert {first["model"], second["model"]} == {"local-model"}
    assert [t["function"]["name"] for t in first["tools"]] == ["get_forecast"]
    tool_message = next(m for m in second["messages"] if m["role"] == "tool")
    assert "14 °C" in tool_message["content"]
    assert any(line.split()[1:3] == ["tool_result", "Packer"] for line in lines[:-1])
