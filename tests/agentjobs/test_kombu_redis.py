"""kombu's Redis transport as agentjobs configures it: one client per channel, same delivery;
and a capturing channel that gives a publish's commands instead of sending them."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery
from kombu.messaging import Producer

from agentjobs import kombu_redis
from agentjobs.celery_config import celery_config, queue_lists, run_task_options
from agentjobs.keys import RUN_WORKFLOW_TASK, workflow_queue
from agentjobs.settings import RedisSettings


def _app(url: str) -> Celery:
    app = Celery("test-kombu")
    app.conf.update(celery_config(RedisSettings.model_validate({"redis_url": url})))
    return app


def test_redis_urls_use_the_transport_and_other_brokers_keep_theirs() -> None:
    for url in ("redis://127.0.0.1:6379/0", "rediss://:pw@redis.internal:6380/1"):
        with _app(url).connection_for_write() as conn:
            assert isinstance(conn.transport, kombu_redis.Transport)
    config = celery_config(RedisSettings.model_validate({"broker_url": "amqp://h//"}))
    assert "broker_transport" not in config


def test_publishes_share_one_client_and_every_task_is_delivered(isolated_db: str) -> None:
    app = _app(isolated_db)
    clients = set()
    with app.producer_or_acquire() as producer:
        channel = producer.channel
        assert isinstance(channel, kombu_redis.Channel)
        for n in range(5):
            app.send_task(RUN_WORKFLOW_TASK, producer=producer, **run_task_options(f"j{n}", "wf"))
            clients.add(id(channel._own_client))
        assert len(clients) == 1
        # A channel whose pool was replaced (a reconnect) wraps the new pool, not the old one.
        channel._pool = None
        app.send_task(RUN_WORKFLOW_TASK, producer=producer, **run_task_options("j5", "wf"))
        assert channel._own_client.connection_pool is channel.pool
    check = redis.Redis.from_url(isolated_db)
    queued = sum(check.llen(listed) for listed in queue_lists(workflow_queue("wf")))
    assert queued == 6
    app.close()


def _without_tag(raw: str) -> dict[str, object]:
    message = json.loads(raw)
    del message["properties"]["delivery_tag"]  # a new uuid per publish
    return message


def test_a_capture_gives_the_commands_kombu_sends_and_sends_none(isolated_db: str) -> None:
    app = _app(isolated_db)
    options = run_task_options("j1", "wf")
    with app.producer_or_acquire() as producer:
        app.send_task(RUN_WORKFLOW_TASK, producer=producer, **options)
    check = redis.Redis.from_url(isolated_db, decode_responses=True)
    [queue_list] = [name for name in queue_lists(workflow_queue("wf")) if check.llen(name)]
    [sent] = check.lrange(queue_list, 0, -1)
    check.delete(queue_list)

    with app.connection_for_write(transport=kombu_redis.CAPTURE_TRANSPORT) as connection:
        channel = connection.default_channel
        capturing = Producer(channel, auto_declare=False)
        with capturing.batch():
            app.send_task(RUN_WORKFLOW_TASK, producer=capturing, declare=[], retry=False, **options)
        assert isinstance(channel, kombu_redis.CaptureChannel) and channel.captured
        [(push, (key, message)), (publish, (topic, event))] = channel.captured.commands
        assert (push, key, publish) == ("lpush", queue_list, "publish")
        assert _without_tag(message) == _without_tag(sent)
        db = urlsplit(isolated_db).path.strip("/")
        assert topic == f"/{db}.celeryev/task.sent"  # where Flower's receiver listens
        assert json.loads(base64.b64decode(json.loads(event)["body"]))["uuid"] == "j1"
        assert not any(check.llen(name) for name in queue_lists(workflow_queue("wf")))
        # Anything the channel would send itself (here a queue binding) is refused, not sent.
        with pytest.raises(RuntimeError, match="capturing"), capturing.batch():
            app.send_task(RUN_WORKFLOW_TASK, producer=capturing, retry=False, **options)
    assert not check.exists(f"_kombu.binding.{workflow_queue('wf')}")
    app.close()
