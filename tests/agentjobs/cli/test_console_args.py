"""``agentjobs run`` without a terminal: bad input, ``-p key=value`` params, choices, tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from agentjobs.cli.console import parse_params
from agentjobs.cli.console_prompt import parse_choice
from agentjobs.cli.redis_server import free_port
from tests.support.console import run_cli
from tests.support.stack import RedisServer, api_server


def test_bad_input_gets_a_clear_error(api_url: str) -> None:
    unknown = run_cli("no_such_workflow", "--api-url", api_url)
    assert unknown.returncode == 2 and "unknown workflow 'no_such_workflow'" in unknown.stdout
    invalid = run_cli("learning_chat", "-p", "turns=99", "--api-url", api_url)
    assert invalid.returncode == 2 and "turns" in invalid.stdout
    missing = run_cli("--attach", "nope", "--api-url", api_url)
    assert missing.returncode == 2 and "not found" in missing.stdout
    down = run_cli("chatty", "--api-url", f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 2 and "unreachable" in down.stdout
    both = run_cli("chatty", "--attach", "x", "--api-url", api_url)
    assert both.returncode == 2 and "not both" in both.stderr
    not_pair = run_cli("chatty", "-p", "count", "--api-url", api_url)
    assert not_pair.returncode == 2 and "is not key=value" in not_pair.stderr


def test_params_are_json_when_they_parse() -> None:
    parsed = parse_params(["n=3", "name=Ada", "flags=[1, 2]", 'q="7"', "empty=", "a=b=c"])
    assert parsed == {"n": 3, "name": "Ada", "flags": [1, 2], "q": "7", "empty": "", "a": "b=c"}
    with pytest.raises(typer.BadParameter):
        parse_params(["=3"])


def test_choices_by_number_or_name() -> None:
    choices = ["Paris", "Tokyo", "Lisbon"]
    assert parse_choice("2", choices, single=True) == "Tokyo"
    assert parse_choice(" lisbon ", choices, single=True) == "Lisbon"
    assert parse_choice("", choices, single=True, default="Paris") == "Paris"
    assert parse_choice("3, paris, 3", choices, single=False) == ["Lisbon", "Paris"]
    with pytest.raises(ValueError, match="not one of the choices"):
        parse_choice("4", choices, single=True)
    with pytest.raises(ValueError, match="pick one"):
        parse_choice(" ", choices, single=False)


def test_the_token_comes_from_the_option_or_the_environment(
    api_url: str, redis_srv: RedisServer, logs_dir: Path
) -> None:
    tokens = "tok-bob:bob"
    with api_server(
        redis_srv.url, logs_dir / "api-console-tokens.log", AGENTJOBS_API_TOKENS=tokens
    ) as secured:
        refused = run_cli("chatty", "--api-url", secured)
        assert refused.returncode == 2 and "401" in refused.stdout
        by_option = run_cli("chatty", "-p", "count=2", "--api-url", secured, "--token", "tok-bob")
        assert by_option.returncode == 0 and "message 1" in by_option.stdout
        settings = {"AGENTJOBS_API_URL": secured, "AGENTJOBS_TOKEN": "tok-bob"}
        by_env = run_cli("chatty", "-p", "count=2", **settings)
        assert by_env.returncode == 0 and "Completed" in by_env.stdout
