"""Celery settings: JSON only everywhere; ``rediss://`` verifies the server's certificate."""

from __future__ import annotations

import ssl

from celery import Celery

from agentjobs.celery_config import celery_config
from agentjobs.settings import RedisSettings


def app_for(url: str) -> Celery:
    app = Celery("test")
    app.conf.update(celery_config(RedisSettings.model_validate({"redis_url": url})))
    return app


def test_only_json_is_sent_or_accepted() -> None:
    config = celery_config(RedisSettings.model_validate({}))
    assert config["task_serializer"] == config["result_serializer"] == "json"
    assert config["accept_content"] == config["result_accept_content"] == ["json"]


def test_credentials_in_the_url_reach_broker_and_backend() -> None:
    app = app_for("redis://:s3cret@redis.internal:6379/2")
    with app.connection_for_write() as conn:
        assert conn.password == "s3cret"
        assert "s3cret" not in conn.as_uri()  # what Celery prints
    assert app.backend.connparams["password"] == "s3cret"
    assert "broker_use_ssl" not in app.conf or not app.conf.broker_use_ssl


def test_rediss_requires_a_valid_certificate_by_default() -> None:
    app = app_for("rediss://:s3cret@redis.internal:6380/0")
    # Celery's backend refuses a bare rediss:// URL, and kombu would not verify: both verify now.
    assert app.backend.connparams["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    with app.connection_for_write() as conn:
        assert conn.transport.client.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}


def test_rediss_options_in_the_url_win() -> None:
    app = app_for("rediss://redis.internal:6380/0?ssl_cert_reqs=optional&ssl_ca_certs=/ca.pem")
    params = app.backend.connparams
    assert (params["ssl_cert_reqs"], params["ssl_ca_certs"]) == (ssl.CERT_OPTIONAL, "/ca.pem")


def test_task_events_and_started_states_are_on_unless_turned_off() -> None:
    on = celery_config(RedisSettings.model_validate({}))
    assert on["worker_send_task_events"] and on["task_send_sent_event"] and on["task_track_started"]
    off = celery_config(RedisSettings.model_validate({"task_events": False, "task_states": False}))
    assert not off["worker_send_task_events"] and not off["task_send_sent_event"]
    assert not off["task_track_started"]
