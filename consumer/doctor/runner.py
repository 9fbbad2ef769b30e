"""The doctor's run: every family of checks in order, each using what the earlier ones found.

settings -> database -> queue (reachable, FIFO) -> LWA (grantless, each seller) -> destinations
(getDestinations) -> EventBridge (per EventBridge destination: source, bus, rule) -> queue (region, policy,
KMS, DLQ, visibility) -> subscriptions (--config) -> traffic (the ledger). A check that cannot run because an
earlier one failed says so ("could not check") rather than disappearing. Every SP-API call goes through the
database's shared rate budget, so without a usable database the SP-API checks do not run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.doctor.check import Check, could_not
from consumer.doctor.config import DoctorConfig, DoctorResources
from consumer.doctor.configuration import encryption_key_check, key_unchecked, settings_checks
from consumer.doctor.database import database_checks
from consumer.doctor.eventbridge import bridge_checks
from consumer.doctor.kms import kms_checks
from consumer.doctor.lwa import grantless_check, seller_checks
from consumer.doctor.policy import EVENTBRIDGE, SPAPI, Caller
from consumer.doctor.queue import QueueFacts, Route, policy_checks, read_queue, region_check, route_of
from consumer.doctor.redrive import redrive_checks, visibility_check
from consumer.doctor.subscriptions import (
    Destinations,
    queue_destination_check,
    read_application_destinations,
    subscription_checks,
)
from consumer.doctor.traffic import traffic_checks
from spapi.client import SpApiClient
from store import subscription_records as records
from store.seller_directory import SellerCredentials
from subscriptions.config import ConfigError, resolve

# The order the report reads in: by family, each family's checks in the order they ran.
FAMILIES = ("settings", "database", "queue", "lwa", "destinations", "eventbridge", "subscriptions", "traffic")

_NO_DATABASE = "the database is not usable (see database.*): it holds the sellers and the shared rate budget"


@dataclass
class _Run:
    """What the families found so far."""

    config: DoctorConfig
    resources: DoctorResources
    engine: AsyncEngine | None = None
    facts: QueueFacts | None = None
    sellers: list[str] = field(default_factory=list)
    usable: dict[str, SellerCredentials] = field(default_factory=dict)
    destinations: Destinations = field(default_factory=lambda: Destinations(None))
    rules: dict[str, list[str]] = field(default_factory=dict)  # destination id -> rules targeting the queue
    bridge_regions: list[str] = field(default_factory=list)


async def diagnose(config: DoctorConfig, resources: DoctorResources) -> list[Check]:
    """Run every check; the results in the order above."""
    run = _Run(config, resources)
    checks = settings_checks(config)
    found, run.engine = await database_checks(config, resources.engine)
    checks += found
    try:
        if run.engine is None:
            checks.append(key_unchecked(_NO_DATABASE))
        else:
            checks += await _guarded(
                "settings.encryption_key", _one(encryption_key_check(config, run.engine))
            )
        found, run.facts = await read_queue(config, resources.aws)
        checks += found
        checks += await _guarded("lwa", _with_spapi(run))
        checks += await _guarded("queue", _queue_rest(run))
        checks += await _guarded("traffic", _traffic(run))
    finally:
        if run.engine is not None:
            await run.engine.dispose()
    return sorted(checks, key=_family)


async def _one(check: Awaitable[Check]) -> list[Check]:
    return [await check]


async def _guarded(family: str, checks: Awaitable[list[Check]]) -> list[Check]:
    """A family's checks; one that breaks unexpectedly becomes a "could not check" naming the error, so the
    rest of the report still comes out."""
    try:
        return await checks
    except Exception as exc:  # a diagnosis reports what broke rather than dying on it
        return [could_not(family, f"the check broke: {type(exc).__name__}: {exc}")]


def _family(check: Check) -> int:
    family = check.name.split(".", 1)[0]
    return FAMILIES.index(family) if family in FAMILIES else len(FAMILIES)


async def _with_spapi(run: _Run) -> list[Check]:
    """LWA, destinations, EventBridge and subscriptions: the checks that need the SP-API client."""
    config = run.config
    if not (config.lwa_client_id and config.lwa_client_secret_set):
        return [could_not("lwa.grantless", "no LWA credentials (see settings.lwa_credentials)")]
    checks: list[Check] = []
    async with run.resources.spapi_client(run.engine) as client:
        checks.append(await grantless_check(client))
        if run.engine is None:
            return [
                *checks,
                could_not("lwa.seller", _NO_DATABASE),
                could_not("destinations.read", _NO_DATABASE),
            ]
        directory = run.resources.seller_directory(run.engine)
        run.sellers = list(config.sellers) or await directory.known_ids()
        found, run.usable = await seller_checks(client, directory, run.sellers)
        checks += found
        run.destinations = await read_application_destinations(client.notifications)
        checks += run.destinations.checks
        checks += await _eventbridge(run)
        if run.destinations.held is not None and run.facts is not None:
            checks.append(queue_destination_check(run.destinations.held, run.facts.arn, run.rules))
        checks += await _subscriptions(run, client)
    return checks


async def _eventbridge(run: _Run) -> list[Check]:
    checks: list[Check] = []
    queue_arn = run.facts.arn if run.facts is not None else None
    for destination in run.destinations.held or ():
        bridge = destination.resource.event_bridge
        if bridge is None:
            continue
        run.bridge_regions.append(bridge.region)
        result = await bridge_checks(bridge, queue_arn, run.resources.aws, run.config.application_id)
        checks += result.checks
        run.rules[destination.destination_id] = result.rules
    return checks


async def _subscriptions(run: _Run, client: SpApiClient) -> list[Check]:
    assert run.engine is not None
    directory = run.resources.seller_directory(run.engine)
    return await subscription_checks(
        run.config,
        client.notifications,
        directory,
        run.engine,
        queue_arn=run.facts.arn if run.facts is not None else None,
        sellers=set(run.usable),
        held=run.destinations.held,
    )


def _senders(route: Route) -> Sequence[Caller]:
    return [caller for caller, used in ((SPAPI, route.direct), (EVENTBRIDGE, route.eventbridge)) if used]


async def _queue_rest(run: _Run) -> list[Check]:
    """Region, policy, KMS, DLQ and visibility: once the route to the queue is known."""
    if run.facts is None:
        return []
    facts = run.facts
    rules = [rule for found in run.rules.values() for rule in found]
    route = route_of(facts, run.destinations.held, rules)
    checks = [region_check(run.config, facts, route, run.bridge_regions)]
    checks += policy_checks(facts, route)
    checks += await kms_checks(facts, run.resources.aws, _senders(route))
    checks += await redrive_checks(run.config, facts, run.resources.aws)
    checks.append(visibility_check(run.config, facts))
    return checks


async def _traffic(run: _Run) -> list[Check]:
    if run.engine is None:
        return [could_not("traffic", _NO_DATABASE)]
    types: dict[str, dict[str, None]] = {seller_id: {} for seller_id in run.sellers}
    if run.config.desired is not None:
        try:
            wants = list(resolve(run.config.desired, run.sellers))
        except ConfigError:
            wants = []  # subscriptions.file says what is wrong with it
        for want in wants:
            if want.seller_id in types:
                types[want.seller_id][want.notification_type] = None
    for record in await records.list_subscriptions(run.engine):
        if record.seller_id in types:
            types[record.seller_id][record.notification_type] = None
    return await traffic_checks(run.config, run.engine, {s: list(t) for s, t in types.items()})
