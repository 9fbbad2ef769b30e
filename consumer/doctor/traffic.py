"""Traffic, from the ledger: per seller and type when the last notification arrived, flagged when ORDER_CHANGE
has been silent longer than a threshold while the seller's orders changed at Amazon; and notifications the
daemon refused as another application's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.doctor.check import Check, failed, passed, skipped
from consumer.doctor.config import DoctorConfig
from store.delivery_traffic import foreign_applications, last_arrivals, orders_changed_since

# The one type whose silence the orders table can prove: an order that changed should have sent one.
ORDER_CHANGE = "ORDER_CHANGE"
FOREIGN_LOOKBACK = timedelta(days=7)


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _window(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"


async def traffic_checks(
    config: DoctorConfig, engine: AsyncEngine, types_by_seller: Mapping[str, Sequence[str]]
) -> list[Check]:
    """One ``traffic`` check per seller (a failure per silent type), then ``traffic.application``."""
    now = config.now()
    since = now - config.silent_after
    sellers = list(types_by_seller)
    arrivals = await last_arrivals(engine, sellers)
    changed = await orders_changed_since(engine, since, sellers)
    checks = []
    for seller_id in sellers:
        types = dict.fromkeys([*types_by_seller[seller_id], *(t for s, t in arrivals if s == seller_id)])
        if not types:
            checks.append(
                skipped(
                    "traffic",
                    "no subscription known (give --config) and no notification in the ledger",
                    subject=seller_id,
                )
            )
            continue
        notes = []
        for kind in types:
            last = arrivals.get((seller_id, kind))
            orders = changed.get(seller_id, 0)
            silent = last is None or last < since
            if kind == ORDER_CHANGE and silent and orders:
                when = "has never arrived" if last is None else f"last arrived {_ago(now, last)}"
                checks.append(
                    failed(
                        "traffic",
                        f"{kind} {when}, while {orders} of the seller's orders changed at Amazon in the last "
                        f"{_window(config.silent_after)}: its notifications are not arriving",
                        "the failures above name the usual causes (queue policy, FIFO, region, KMS, "
                        "EventBridge, "
                        "a revoked seller, a subscription elsewhere); if none shows, compare with Amazon: "
                        f"`spapi-notify subscriptions list --remote --seller {seller_id} --type {kind}`",
                        subject=f"{seller_id} {kind}",
                    )
                )
                continue
            notes.append(f"{kind} {'never' if last is None else _ago(now, last)}")
        if notes:
            checks.append(
                passed(
                    "traffic",
                    f"last arrivals: {', '.join(notes)} (silence is judged for {ORDER_CHANGE} against the "
                    f"orders changed in the last {_window(config.silent_after)})",
                    subject=seller_id,
                )
            )
    checks.append(await application_check(config, engine, now))
    return checks


async def application_check(config: DoctorConfig, engine: AsyncEngine, now: datetime) -> Check:
    """Notifications refused as another application's: SPAPI_NOTIFY_APPLICATION_ID is not the one Amazon
    sends."""
    name = "traffic.application"
    foreign = await foreign_applications(engine, now - FOREIGN_LOOKBACK)
    if not foreign.count:
        return passed(name, "no notification was refused as another application's in the last 7 days")
    theirs = foreign.application_ids[0] if foreign.application_ids else "?"
    return failed(
        name,
        f"{foreign.count} notification(s) in the last 7 days were for application {theirs}, not "
        f"SPAPI_NOTIFY_APPLICATION_ID ({config.application_id}): they were dead-lettered as "
        "foreign_application",
        f"if {theirs} is yours, set SPAPI_NOTIFY_APPLICATION_ID={theirs} and replay them: "
        "`spapi-notify replay --reason foreign_application`",
    )
