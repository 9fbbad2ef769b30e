"""What Amazon holds, read without changing anything: destinations, and every subscription of each seller.

getSubscriptions needs a notification type (one per request), so a seller's subscriptions are found by asking
about each type: by default every type Amazon knows, which is the only way to see subscriptions that nobody
recorded. Sellers are read concurrently (bounded), each seller's calls one after another inside the client's
rate budget (Amazon allows getSubscriptions 1 call per second per seller, after a burst of 5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from spapi.apis.notifications import MAX_PAGE_SIZE
from spapi.client import SpApiClient
from spapi.errors import LwaError, SpApiError
from spapi.models.notifications_api import Destination, Subscription
from spapi.regions import Region
from store.seller_directory import SellerDirectory, UnknownSeller
from store.token_cipher import UndecryptableToken
from subscriptions.failures import Failure, explain
from subscriptions.planner import read_destinations
from subscriptions.types import KNOWN_TYPES


@dataclass(frozen=True)
class HeldSubscription:
    """A subscription Amazon holds, with the seller and type it was found under."""

    seller_id: str
    notification_type: str
    subscription: Subscription


@dataclass
class RemoteState:
    """Amazon's destinations (by SP-API region), the sellers' subscriptions, and what could not be read."""

    destinations: dict[Region, list[Destination]] = field(default_factory=dict)
    subscriptions: list[HeldSubscription] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


async def read_remote(
    client: SpApiClient,
    directory: SellerDirectory,
    *,
    sellers: Sequence[str] = (),
    types: Sequence[str] = (),
    concurrency: int = 16,
) -> RemoteState:
    """Amazon's destinations and the subscriptions of ``sellers`` (default: every known seller) to ``types``
    (default: every type Amazon knows). A seller or type that cannot be read becomes a Failure."""
    state = RemoteState()
    kinds = list(types) or sorted(KNOWN_TYPES)
    partners = []
    for seller_id in sellers or await directory.known_ids():
        try:
            partners.append(await directory.credentials(seller_id))
        except (UnknownSeller, UndecryptableToken) as exc:
            state.failures.append(Failure(seller_id, None, str(exc)))
    for region in dict.fromkeys([client.config.region, *(p.region for p in partners)]):
        state.destinations[region] = await read_destinations(client.for_region(region).notifications)
    limit = asyncio.Semaphore(concurrency)

    async def read(seller_id: str, region: Region) -> None:
        credentials = await directory.credentials(seller_id)
        api = client.for_region(region).notifications
        async with limit:
            for kind in kinds:
                try:
                    held = await api.get_subscriptions(credentials.partner, [kind], page_size=MAX_PAGE_SIZE)
                except LwaError as exc:
                    state.failures.append(Failure(seller_id, None, explain(exc)))
                    return
                except SpApiError as exc:
                    state.failures.append(Failure(seller_id, kind, explain(exc, kind)))
                    continue
                state.subscriptions += [HeldSubscription(seller_id, kind, s) for s in held]

    await asyncio.gather(*(read(p.seller_id, p.region) for p in partners))
    state.subscriptions.sort(key=lambda h: (h.seller_id, h.notification_type, h.subscription.subscription_id))
    return state
