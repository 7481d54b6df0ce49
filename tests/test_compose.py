"""compose.yaml, the Dockerfile and .env.example against the code: services, commands, settings."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from agentjobs.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
SETTINGS_MODULES = (
    "agentjobs.settings",
    "backend.settings",
    "worker.settings",
    "agentjobs.cli.flower",
    "agentjobs.client.settings",
    "frontend_mesop.settings",
)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    spec = yaml.safe_load(COMPOSE.read_text())  # resolves the YAML anchors and merge keys
    found: dict[str, Any] = spec["services"]
    return found


def argv(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def cli_command(name: str) -> Any:
    """The click-style command ``agentjobs <name>`` (typer builds its own click classes)."""
    commands: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    command = commands.get(name)
    assert command is not None, f"`agentjobs {name}` is not a command of cli/main.py"
    return command


def test_the_five_services(services: dict[str, Any]) -> None:
    assert set(services) == {"redis", "api", "worker", "flower", "ui"}


def test_redis_keeps_an_append_only_file_and_stays_private(services: dict[str, Any]) -> None:
    redis = services["redis"]
    command = argv(redis)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "ports" not in redis
    for name, service in services.items():
        for mapping in service.get("ports", []):
            assert not str(mapping).endswith("6379"), f"{name} publishes Redis"
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_healthchecks(services: dict[str, Any]) -> None:
    assert "/health" in " ".join(services["api"]["healthcheck"]["test"])
    assert "/healthcheck" in " ".join(services["flower"]["healthcheck"]["test"])
    for name in ("redis", "api", "flower", "ui"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("api", "worker", "flower", "ui"):
        assert services[name]["depends_on"], f"{name} must wait for what it needs"
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_api_runs_four_uvicorn_workers_under_gunicorn(services: dict[str, Any]) -> None:
    command = argv(services["api"])
    assert command[0] == "gunicorn"
    assert command[command.index("-w") + 1] == "4"
    worker_class = command[command.index("-k") + 1]
    module, _, cls = worker_class.rpartition(".")
    assert cls == "UvicornWorker"
    worker = getattr(importlib.import_module(module), cls)
    assert worker.CONFIG_KWARGS["ws_per_message_deflate"] is False  # the API's server options
    app_module, _, attribute = next(a for a in command if a.endswith(":app")).partition(":")
    assert hasattr(importlib.import_module(app_module), attribute)
    config = command[command.index("-c") + 1].removeprefix("python:")
    hooks = importlib.import_module(config)
    assert callable(hooks.child_exit)
    assert services["api"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]


@pytest.mark.parametrize("name", ["worker", "flower", "ui"])
def test_role_commands_exist_in_the_cli(services: dict[str, Any], name: str) -> None:
    command = argv(services[name])
    assert command[:2] == ["agentjobs", name]
    options = {opt for param in cli_command(name).params for opt in param.opts}
    given = {arg for arg in command[2:] if arg.startswith("--")}
    assert given <= options, f"agentjobs {name} has no {given - options}"


def test_the_worker_scales(services: dict[str, Any]) -> None:
    worker = services["worker"]
    # A fixed name or a host port would stop `--scale worker=N`.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["environment"]["AGENTJOBS_CONCURRENCY"].startswith("${AGENTJOBS_CONCURRENCY")


def test_flower_requires_its_login(services: dict[str, Any]) -> None:
    auth = services["flower"]["environment"]["FLOWER_BASIC_AUTH"]
    assert auth.startswith("${FLOWER_BASIC_AUTH:?")


def test_every_service_but_redis_uses_the_project_image(services: dict[str, Any]) -> None:
    for name in ("api", "worker", "flower", "ui"):
        assert services[name]["build"] == ".", name
        assert services[name]["environment"]["AGENTJOBS_REDIS_URL"] == "redis://redis:6379/0"


def test_the_dockerfile_installs_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    for package in ("agentjobs", "backend", "worker", "frontend_mesop"):
        assert f"COPY {package} " in dockerfile, package
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def _settings_classes() -> Iterator[type[BaseSettings]]:
    for module in SETTINGS_MODULES:
        importlib.import_module(module)
    pending = list(BaseSettings.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__ in SETTINGS_MODULES or cls.__module__.startswith("agentjobs.cli."):
            yield cls


def env_names(cls: type[BaseSettings]) -> set[tuple[str, ...]]:
    """Each setting's environment variable names (any one of them names it)."""
    names: set[tuple[str, ...]] = set()
    prefix = str(cls.model_config.get("env_prefix", ""))
    for field_name, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.add(tuple(str(choice) for choice in alias.choices))
        elif isinstance(alias, str):
            names.add((alias,))
        else:
            names.add((f"{prefix}{field_name}".upper(),))
    return names


def every_setting() -> set[tuple[str, ...]]:
    """The environment variable names of every setting of every process."""
    return {names for cls in _settings_classes() for names in env_names(cls)}


UNUSED = {("AGENTJOBS_HOST",), ("AGENTJOBS_PORT",)}
"""Declared by ApiSettings but read by no command (the server's bind address is an option)."""


@pytest.mark.parametrize(
    ("service", "settings_class"),
    [
        ("api", "backend.settings:ApiSettings"),
        ("worker", "worker.settings:WorkerSettings"),
        ("flower", "agentjobs.cli.flower:FlowerSettings"),
        ("ui", "frontend_mesop.settings:UiSettings"),
    ],
)
def test_each_container_gets_every_setting_of_its_process(
    services: dict[str, Any], service: str, settings_class: str
) -> None:
    module, _, name = settings_class.partition(":")
    cls = getattr(importlib.import_module(module), name)
    passed = set(services[service]["environment"])
    for names in sorted(env_names(cls) - UNUSED):
        assert passed & set(names), f"compose.yaml does not pass {names[0]} to {service}"


def test_env_example_and_operations_doc_list_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    operations = (ROOT / "docs" / "operations.md").read_text()
    settings = every_setting()
    assert len(settings) > 30
    for names in sorted(settings):
        assert listed & set(names), f".env.example does not list {names[0]}"
        assert any(f"`{name}`" in operations for name in names), f"operations.md: {names[0]}"


def _docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        pytest.skip("docker-compose is not installed (scripts/setup.sh installs it with apt-get)")
    return found


def test_docker_compose_validates_the_file(tmp_path: Path) -> None:
    binary = _docker_compose()
    empty_env = tmp_path / "empty.env"  # not the developer's .env
    empty_env.write_text("")
    base = [binary, "-f", str(COMPOSE), "--env-file", str(empty_env), "config", "-q"]
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    missing = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0
    assert "FLOWER_BASIC_AUTH" in missing.stderr
    ok = subprocess.run(
        base, env={**env, "FLOWER_BASIC_AUTH": "ops:secret"}, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
