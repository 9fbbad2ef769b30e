"""In-flight slots: a poller can wait a moment for a whole batch of them, so that its receive is full."""

from __future__ import annotations

import asyncio

from consumer.daemon.capacity import Capacity


async def test_a_gathering_taker_waits_for_a_whole_batch() -> None:
    capacity = Capacity(20)
    assert await capacity.take(20) == 20
    taking = asyncio.create_task(capacity.take(10, gather=5.0))
    for _ in range(10):  # slots come back one by one
        await capacity.give_back(1)
        await asyncio.sleep(0)
    assert await asyncio.wait_for(taking, 1.0) == 10


async def test_gathering_is_bounded_in_time_then_takes_what_is_free() -> None:
    capacity = Capacity(20)
    assert await capacity.take(20) == 20
    await capacity.give_back(3)
    assert await asyncio.wait_for(capacity.take(10, gather=0.05), 1.0) == 3


async def test_without_gathering_the_first_free_slot_is_taken() -> None:
    capacity = Capacity(20)
    assert await capacity.take(20) == 20
    taking = asyncio.create_task(capacity.take(10))
    await capacity.give_back(1)
    assert await asyncio.wait_for(taking, 1.0) == 1


async def test_a_limit_below_a_batch_is_a_whole_batch() -> None:
    capacity = Capacity(4)
    assert await capacity.take(4) == 4
    taking = asyncio.create_task(capacity.take(10, gather=5.0))
    for _ in range(4):
        await capacity.give_back(1)
        await asyncio.sleep(0)
    assert await asyncio.wait_for(taking, 1.0) == 4
