"""The import rules in pyproject.toml hold, and `lint-imports` fails when one is broken.

Each case copies the four packages and pyproject.toml into a temporary folder, adds one forbidden
import to a copied module and runs the real ``lint-imports`` there (``PYTHONPATH`` puts the copy
ahead of the editable install), so the rules are shown to catch what they promise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agentjobs", "backend", "worker", "frontend_mesop")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

SERVICES = "The services are independent"
NO_SERVICE = "agentjobs imports no service"
BRIDGE = "Only agentjobs.agentchat imports AutoGen"
API_NO_AUTOGEN = "The API and the UI never load AutoGen"
CLIENT = "The client (FastAPIProvider) loads no AutoGen"
PROTOCOL = "agentjobs.protocol imports only pydantic"


def _copy_project(dest: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_project_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint_imports(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in (SERVICES, NO_SERVICE, BRIDGE, API_NO_AUTOGEN, CLIENT, PROTOCOL):
        assert contract in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract", "reported"),
    [
        ("backend/routes/health.py", "import worker.app", SERVICES, "backend.routes.health"),
        ("worker/tasks.py", "import frontend_mesop.state", SERVICES, "worker.tasks"),
        ("agentjobs/keys.py", "import backend.settings", NO_SERVICE, "agentjobs.keys"),
        # Only the two commands that start a service may import it; the rest of the CLI may not.
        ("agentjobs/cli/console.py", "import backend.main", NO_SERVICE, "agentjobs.cli.console"),
        (
            "agentjobs/workflows.py",
            "import autogen_core",
            BRIDGE,
            "agentjobs.workflows",
        ),
        # Indirect: the bridge itself may import AutoGen, but the API may not load the bridge.
        ("backend/queue.py", "import agentjobs.agentchat.models", API_NO_AUTOGEN, "backend.queue"),
        ("agentjobs/client/errors.py", "import redis", CLIENT, "agentjobs.client.errors"),
        ("agentjobs/protocol/bodies.py", "import agentjobs.keys", PROTOCOL, "protocol.bodies"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, statement: str, contract: str, reported: str
) -> None:
    project = _copy_project(tmp_path)
    with (project / module).open("a") as source:
        source.write(f"\n{statement}  # noqa: E402, F401\n")

    result = _lint_imports(project)

    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    assert reported in broken, result.stdout
