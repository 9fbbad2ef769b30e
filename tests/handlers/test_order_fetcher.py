"""The coalescing logic alone: a fake fetch function, a fake clock, no I/O."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from handlers.coalescer import Coalescer
from tests.fixtures.clock import FakeClock

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Fetched:
    key: str
    number: int
    version: datetime


class FakeAmazon:
    """Each fetch returns the key's current version; a fetch can be held until released."""

    def __init__(self) -> None:
        self.versions: dict[str, datetime] = {}
        self.calls: list[str] = []
        self.newest: list[datetime | None] = []  # what each fetch was told it must reflect
        self.gate: asyncio.Event | None = None
        self.fail_with: Exception | None = None

    async def fetch(self, key: str, newest: datetime | None) -> Fetched:
        self.calls.append(key)
        self.newest.append(newest)
        fetched = Fetched(key, len(self.calls), self.versions.get(key, T0))  # Amazon's state when asked
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return fetched


def coalescer(
    amazon: FakeAmazon, clock: FakeClock | None = None, window: float = 0.0
) -> Coalescer[str, Fetched]:
    return Coalescer(amazon.fetch, lambda f: f.version, window=window, ttl=30.0, clock=clock or FakeClock())


async def test_callers_arriving_before_the_fetch_fires_share_it() -> None:
    amazon = FakeAmazon()
    amazon.versions = {"a": t(5), "b": t(5)}
    fetcher = coalescer(amazon, window=0.01)
    results = await asyncio.gather(
        *(fetcher.get("a", t(i)) for i in range(5)), *(fetcher.get("b", t(i)) for i in range(3))
    )
    assert sorted(amazon.calls) == ["a", "b"]
    assert {r.number for r in results[:5]} == {results[0].number}
    assert all(r.key == "b" for r in results[5:])
    assert fetcher.stats.fetches == 2
    assert fetcher.stats.joined == 6


async def test_a_fetch_is_told_the_newest_event_it_serves() -> None:
    amazon = FakeAmazon()
    fetcher = coalescer(amazon, window=0.01)
    await asyncio.gather(fetcher.get("a", t(3)), fetcher.get("a", t(7)), fetcher.get("a", t(5)))
    await asyncio.gather(fetcher.get("b", t(3)), fetcher.get("b", None))
    # A caller without an event time is served only by a fresh value: nothing bounds what it needs.
    assert amazon.newest == [t(7), None]


async def test_a_recent_result_is_reused_only_when_it_reflects_the_event() -> None:
    amazon = FakeAmazon()
    clock = FakeClock()
    fetcher = coalescer(amazon, clock)
    amazon.versions["a"] = t(10)
    first = await fetcher.get("a", t(10))
    assert await fetcher.get("a", t(3)) is first  # an older event: already reflected
    assert await fetcher.get("a", t(10)) is first  # the same instant: reflected
    assert amazon.calls == ["a"]

    amazon.versions["a"] = t(20)
    newer = await fetcher.get("a", t(11))  # after the fetched version: may not be reflected
    assert newer.number == 2
    assert newer.version == t(20)
    assert await fetcher.get("a", None) is not newer  # no event time proves nothing
    assert len(amazon.calls) == 3

    clock.now += 31  # past the ttl: fetched again even for an old event
    assert (await fetcher.get("a", t(0))).number == 4


async def test_a_caller_arriving_after_the_fetch_left_waits_and_checks_it() -> None:
    amazon = FakeAmazon()
    amazon.gate = asyncio.Event()
    amazon.versions["a"] = t(5)
    fetcher = coalescer(amazon)
    first = asyncio.create_task(fetcher.get("a", t(1)))
    while not amazon.calls:  # the fetch has left
        await asyncio.sleep(0)
    covered = asyncio.create_task(fetcher.get("a", t(4)))
    uncovered = asyncio.create_task(fetcher.get("a", t(9)))
    await asyncio.sleep(0)
    amazon.versions["a"] = t(9)
    amazon.gate.set()
    one, two, three = await asyncio.gather(first, covered, uncovered)
    assert one is two  # the in-flight fetch reflected t(4) (version t(5))...
    assert three.number == 2  # ...but not t(9): a fetch of its own
    assert three.version == t(9)


async def test_an_error_reaches_every_joiner_and_is_not_cached() -> None:
    amazon = FakeAmazon()
    amazon.fail_with = RuntimeError("503 from Amazon")
    fetcher = coalescer(amazon, window=0.01)
    results = await asyncio.gather(*(fetcher.get("a", t(0)) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and str(r) == "503 from Amazon" for r in results)
    assert amazon.calls == ["a"]
    amazon.fail_with = None
    assert (await fetcher.get("a", t(0))).number == 2


async def test_a_caller_giving_up_does_not_cancel_the_others() -> None:
    amazon = FakeAmazon()
    amazon.gate = asyncio.Event()
    fetcher = coalescer(amazon)
    impatient = asyncio.create_task(fetcher.get("a", t(0)))
    patient = asyncio.create_task(fetcher.get("a", t(0)))
    while not amazon.calls:
        await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    amazon.gate.set()
    assert (await patient).number == 1
    await fetcher.aclose()
