"""A watcher's queue of live events: what it says about itself, and its bound."""

from __future__ import annotations

from backend.event_log import StoredEvent
from backend.relay import RESYNC, Subscription


def event(seq: int) -> StoredEvent:
    return StoredEvent(f"1-{seq}", "text_message", f'{{"id":"1-{seq}"}}')


async def test_pending_says_whether_get_has_an_event_to_return_at_once() -> None:
    sub = Subscription(maxsize=4)
    assert not sub.pending
    sub.push(event(1))
    sub.push(event(2))
    assert sub.pending
    assert await sub.get() == event(1)
    assert sub.pending
    assert await sub.get() == event(2)
    assert not sub.pending


async def test_past_its_bound_the_queue_is_dropped_for_a_resync() -> None:
    sub = Subscription(maxsize=2)
    for seq in range(1, 4):
        sub.push(event(seq))
    assert sub.pending
    assert await sub.get() is RESYNC
    assert not sub.pending


async def test_take_queued_empties_the_queue_in_order_resync_included() -> None:
    sub = Subscription(maxsize=2)
    assert sub.take_queued() == []
    sub.push(event(1))
    assert sub.take_queued() == [event(1)]
    for seq in range(2, 6):  # past the bound at the third: a resync, then what came after
        sub.push(event(seq))
    assert sub.take_queued() == [RESYNC, event(5)]
    assert not sub.pending


async def test_past_its_bytes_the_queue_is_dropped_for_a_resync_but_one_big_event_passes() -> None:
    small = event(1)
    sub = Subscription(maxsize=100, max_bytes=2 * len(small.json))
    sub.push(small)
    sub.push(event(2))
    assert sub.take_queued() == [event(1), event(2)]  # taken: their bytes are free again
    sub.push(event(3))
    sub.push(event(4))
    sub.push(event(5))  # three events' bytes: all dropped for a resync
    assert sub.take_queued() == [RESYNC]
    big = StoredEvent("1-9", "text_message", '{"id":"1-9","content":"' + "x" * 100 + '"}')
    sub.push(big)  # larger than the bound, but alone
    assert await sub.get() == big
    sub.push(event(6))
    sub.push(big)  # not alone: a resync
    assert sub.take_queued() == [RESYNC]
