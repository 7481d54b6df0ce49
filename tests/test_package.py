"""The package as users get it: a cheap ``import agentjobs``, its version, its wheel, and an API
process that never loads AutoGen."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

import agentjobs
from tests.support.client import job_socket, start_job
from tests.support.stack import RedisServer, api_server

ROOT = Path(__file__).resolve().parents[1]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
AUTOGEN = ("autogen_agentchat", "autogen_core", "autogen_ext", "autogen", "pyautogen")


def _modules_loaded_by(statement: str) -> set[str]:
    """Top-level names of the modules that ``statement`` loads in a fresh interpreter."""
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{statement}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))\n"
    )
    # Run outside the checkout so the installed package is what is imported.
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd="/"
    )
    loaded: set[str] = set(json.loads(out.stdout))
    return loaded


def test_import_agentjobs_loads_no_framework() -> None:
    loaded = _modules_loaded_by("import agentjobs")
    assert "agentjobs" in loaded
    heavy = {*AUTOGEN, "openai", "httpx", "websockets", "celery", "redis", "fastapi", "mesop"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_the_protocol_needs_only_pydantic_and_the_standard_library() -> None:
    loaded = _modules_loaded_by("import agentjobs.protocol")
    pydantic = {"pydantic", "pydantic_core", "typing_extensions", "annotated_types"}
    allowed = {"agentjobs", "typing_inspection", *pydantic, *sys.stdlib_module_names}
    others = {name for name in loaded - allowed if not name.startswith("_sysconfigdata")}
    assert "pydantic" in loaded
    assert not others, sorted(others)


def test_the_public_names_import_from_the_package() -> None:
    from agentjobs import ApiError, FastAPIProvider, JobUI, Workflows, chat_client
    from agentjobs.agentchat.models import chat_client as bridge_chat_client
    from agentjobs.client.errors import ApiError as client_api_error
    from agentjobs.ui import JobUI as ui_job_ui
    from agentjobs.workflows import Workflows as registry_workflows

    assert Workflows is registry_workflows
    assert JobUI is ui_job_ui
    assert chat_client is bridge_chat_client
    assert ApiError is client_api_error
    assert FastAPIProvider.__module__.startswith("agentjobs.client")
    for name in agentjobs.__all__:
        assert getattr(agentjobs, name) is not None, name
    with pytest.raises(AttributeError):
        _ = agentjobs.NoSuchName


def test_the_version_is_the_projects_and_the_console_script_prints_it() -> None:
    assert agentjobs.__version__ == VERSION
    script = Path(sys.executable).with_name("agentjobs")
    out = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert VERSION in out.stdout.split()


@pytest.mark.timeout(300)
def test_the_wheel_installs_exactly_the_four_packages(tmp_path: Path) -> None:
    # Build from a copy, as from a fresh clone: the build leaves build/ and egg-info behind.
    source = tmp_path / "src"
    junk = (".git", ".venv", ".run", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*junk, ".env"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-w", str(tmp_path)],
        capture_output=True,
        check=True,
        timeout=280,
    )
    (wheel,) = tmp_path.glob("agentjobs-*.whl")
    assert wheel.name.startswith(f"agentjobs-{VERSION}-")
    names = set(zipfile.ZipFile(wheel).namelist())

    top = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top == {"agentjobs", "backend", "worker", "frontend_mesop"}
    assert "agentjobs/py.typed" in names
    assets = {p.relative_to(ROOT).as_posix() for p in (ROOT / "frontend_mesop").rglob("*.js")}
    assert assets, "the UI has web components"
    assert assets <= names, sorted(assets - names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert (
        "agentjobs = agentjobs.cli.main:app" in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def _imported_modules(importtime_log: str) -> set[str]:
    """Module names from ``python -X importtime`` lines (``import time: self | total | name``)."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in importtime_log.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


async def test_the_api_process_never_imports_autogen(
    redis_srv: RedisServer, worker_proc: None, logs_dir: Path
) -> None:
    # PYTHONPROFILEIMPORTTIME logs every import the real API process makes, whenever it makes it
    # (lazy imports in a route included), so no debug route is needed to see its sys.modules.
    log = logs_dir / "api-importtime.log"
    with api_server(redis_srv.url, log, PYTHONPROFILEIMPORTTIME="1") as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            for path in ("/health", "/workflows", "/openapi.json", "/metrics"):
                assert (await http.get(path)).status_code == 200, path
            # A job whose workflow runs AutoGen agents (in the worker), relayed through the API.
            job_id = await start_job(http, "learning_chat")
            async with job_socket(url, job_id) as ws:
                question = await ws.until("text_input")
                answer = {"type": "input", "request_id": question["request_id"], "value": "maps"}
                await ws.send(answer)
                end = await ws.until_end()
            assert end["type"] == "workflow_completed", end
            assert (await http.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"

    imported = _imported_modules(log.read_text())
    # (uvicorn loads backend.main through importlib, which the log leaves out; not what it imports)
    assert {"backend.routes.jobs", "fastapi", "celery"} <= imported, "the log lists its imports"
    autogen = sorted(m for m in imported if m.split(".")[0] in AUTOGEN)
    assert not autogen, autogen
    assert not {m for m in imported if m.split(".")[0] == "openai"}
