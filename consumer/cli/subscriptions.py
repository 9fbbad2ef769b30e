"""``spapi-notify subscriptions``: plan, apply, list and delete SP-API notification subscriptions.

Exit codes: 0 done, 1 some sellers or types failed (the rest was done and is kept), 2 the configuration (the
file, the settings, the database) is wrong and nothing was called.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.app.configs import seller_directory, shared_client
from consumer.cli.support import fail, load_settings, run_async
from consumer.settings import Settings
from spapi.apis.notifications import MAX_PAGE_SIZE
from spapi.client import SpApiClient
from spapi.errors import SpApiError
from spapi.regions import Region
from store import subscription_records as records
from store.engine import create_engine
from store.migrate import ensure_current
from store.seller_directory import SellerDirectory, UnknownSeller
from subscriptions.actions import describe_destination
from subscriptions.config import ConfigError, DesiredConfig, load_config
from subscriptions.directives import describe_directive, directive_dump
from subscriptions.manager import ApplyResult, ManagerError, Plan, SubscriptionManager, delete_subscription
from subscriptions.remote import RemoteState, read_remote
from subscriptions.types import KNOWN_TYPES, UnknownNotificationType, check_type

T = TypeVar("T")

subscriptions_app = typer.Typer(help="Notification destinations and subscriptions.", no_args_is_help=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Desired state file (TOML, or YAML with PyYAML installed)")
]
ReplaceOption = Annotated[
    bool, typer.Option("--replace", help="Replace subscriptions whose destination or payload version differ")
]
PruneOption = Annotated[
    bool, typer.Option("--prune", help="Delete subscriptions and destinations that are not in the file")
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=256, help="Sellers worked on at once")
]


@dataclass
class _Context:
    settings: Settings
    engine: AsyncEngine
    client: SpApiClient
    directory: SellerDirectory
    region: Region

    def manager(self, concurrency: int) -> SubscriptionManager:
        return SubscriptionManager(
            self.client, self.directory, self.engine, region=self.region, concurrency=concurrency
        )


@asynccontextmanager
async def _context(settings: Settings, region: Region | None = None) -> AsyncIterator[_Context]:
    region = region or settings.region
    engine = create_engine(settings.database_url)
    try:
        await ensure_current(engine)
        directory = seller_directory(settings, engine)
        async with shared_client(settings, engine, region) as client:
            yield _Context(settings, engine, client, directory, region)
    finally:
        await engine.dispose()


def _load(path: Path) -> DesiredConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _run(settings: Settings, desired: DesiredConfig, work: Callable[[_Context], Awaitable[T]]) -> T:
    async def go() -> T:
        async with _context(settings, desired.region) as context:
            return await work(context)

    try:
        return run_async(go())
    except (ConfigError, ManagerError) as exc:
        raise fail(str(exc)) from None
    except SpApiError as exc:
        raise fail(str(exc), code=1) from None


@subscriptions_app.command("plan")
def plan(
    config: ConfigOption,
    replace: ReplaceOption = False,
    prune: PruneOption = False,
    concurrency: ConcurrencyOption = 16,
) -> None:
    """Show what apply would create, replace or delete; changes nothing."""
    settings = load_settings()
    desired = _load(config)

    async def work(context: _Context) -> Plan:
        return await context.manager(concurrency).plan(desired, replace=replace, prune=prune)

    result = _run(settings, desired, work)
    for line in result.lines():
        typer.echo(line)
    if result.failures:
        raise typer.Exit(1)


@subscriptions_app.command("apply")
def apply(
    config: ConfigOption,
    replace: ReplaceOption = False,
    prune: PruneOption = False,
    concurrency: ConcurrencyOption = 16,
) -> None:
    """Make Amazon hold the file's destinations and subscriptions; a second run changes nothing."""
    settings = load_settings()
    desired = _load(config)

    async def work(context: _Context) -> ApplyResult:
        return await context.manager(concurrency).apply(desired, replace=replace, prune=prune)

    result = _run(settings, desired, work)
    for line in result.lines():
        typer.echo(line)
    if result.failures:
        sellers = sorted({f.seller_id or "grantless" for f in result.failures})
        typer.echo(
            f"error: {len(result.failures)} failure(s), for {', '.join(sellers)}; "
            "everything else was applied",
            err=True,
        )
        raise typer.Exit(1)


def _jsonable(value: Any) -> Any:
    data = asdict(value)
    data["created_at"] = value.created_at.isoformat()
    return data


@subscriptions_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document for scripts")] = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Ask Amazon what it holds (read-only) instead of the database")
    ] = False,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="With --remote: only this notification type (repeatable; default all)"),
    ] = None,
    sellers: Annotated[
        list[str] | None,
        typer.Option("--seller", help="With --remote: only this seller (repeatable; default all)"),
    ] = None,
    concurrency: ConcurrencyOption = 16,
) -> None:
    """The destinations and subscriptions apply made or adopted (from the database; no SP-API calls), or
    with --remote what Amazon holds."""
    settings = load_settings()
    if remote:
        _list_remote(settings, as_json, types or [], sellers or [], concurrency)
        return
    if types or sellers:
        raise fail("--type and --seller go with --remote")

    async def go() -> tuple[list[records.DestinationRecord], list[records.SubscriptionRecord]]:
        engine = create_engine(settings.database_url)
        try:
            await ensure_current(engine)
            return await records.list_destinations(engine), await records.list_subscriptions(engine)
        finally:
            await engine.dispose()

    destinations, subscriptions = run_async(go())
    if as_json:
        document = {
            "destinations": [_jsonable(d) for d in destinations],
            "subscriptions": [_jsonable(s) for s in subscriptions],
        }
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
        return
    if not destinations and not subscriptions:
        typer.echo("no destinations or subscriptions recorded (run `spapi-notify subscriptions apply`)")
        return
    typer.echo(f"{'destination id':<40} {'region':<6} {'name':<20} resource")
    for d in destinations:
        resource = d.sqs_arn or f"eventbridge {d.eventbridge_account_id} {d.eventbridge_region}"
        typer.echo(f"{d.destination_id:<40} {d.spapi_region:<6} {d.name:<20} {resource}")
    typer.echo("")
    typer.echo(f"{'subscription id':<40} {'seller':<20} {'type':<36} {'version':<10} destination")
    for s in subscriptions:
        typer.echo(
            f"{s.subscription_id:<40} {s.seller_id:<20} {s.notification_type:<36} "
            f"{s.payload_version:<10} {s.destination_id}"
        )


def _list_remote(
    settings: Settings, as_json: bool, types: list[str], sellers: list[str], concurrency: int
) -> None:
    """``list --remote``: what Amazon holds, through the shared rate budget; exit 1 when some seller or type
    could not be read."""
    try:
        kinds = [check_type(t) for t in types]
    except UnknownNotificationType as exc:
        raise fail(str(exc)) from None
    if not as_json:
        count = len(kinds) or len(KNOWN_TYPES)
        typer.echo(
            f"asking Amazon about {count} notification type(s) per seller (getSubscriptions: 1 call/s per "
            "seller after a burst of 5)",
            err=True,
        )

    async def work(context: _Context) -> tuple[RemoteState, set[str]]:
        state = await read_remote(
            context.client, context.directory, sellers=sellers, types=kinds, concurrency=concurrency
        )
        recorded = {r.subscription_id for r in await records.list_subscriptions(context.engine)}
        return state, recorded

    async def go() -> tuple[RemoteState, set[str]]:
        async with _context(settings) as context:
            return await work(context)

    try:
        state, recorded = run_async(go())
    except (ConfigError, ManagerError, UnknownSeller) as exc:
        raise fail(str(exc)) from None
    except SpApiError as exc:
        raise fail(str(exc), code=1) from None
    if as_json:
        typer.echo(json.dumps(_remote_document(state, recorded), indent=2, sort_keys=True))
    else:
        for line in _remote_lines(state, recorded):
            typer.echo(line)
    if state.failures:
        raise typer.Exit(1)


def _remote_document(state: RemoteState, recorded: set[str]) -> dict[str, Any]:
    return {
        "destinations": [
            {"spapi_region": region.value, **d.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for region, found in state.destinations.items()
            for d in found
        ],
        "subscriptions": [
            {
                "seller_id": h.seller_id,
                "notification_type": h.notification_type,
                "subscription_id": h.subscription.subscription_id,
                "payload_version": h.subscription.payload_version,
                "destination_id": h.subscription.destination_id,
                "processing_directive": directive_dump(h.subscription.processing_directive),
                "recorded": h.subscription.subscription_id in recorded,
            }
            for h in state.subscriptions
        ],
        "failures": [
            {"seller_id": f.seller_id, "notification_type": f.notification_type, "message": f.message}
            for f in state.failures
        ],
    }


def _remote_lines(state: RemoteState, recorded: set[str]) -> list[str]:
    lines = [f"{'destination id':<40} {'region':<6} {'name':<20} resource"]
    for region, found in state.destinations.items():
        lines += [
            f"{d.destination_id:<40} {region.value:<6} {d.name:<20} {describe_destination(d)}" for d in found
        ]
    lines += [
        "",
        f"{'subscription id':<40} {'seller':<20} {'type':<36} {'version':<10} {'destination':<40} recorded",
    ]
    for h in state.subscriptions:
        sub = h.subscription
        directive = describe_directive(sub.processing_directive)
        lines.append(
            f"{sub.subscription_id:<40} {h.seller_id:<20} {h.notification_type:<36} "
            f"{sub.payload_version:<10} {sub.destination_id:<40} "
            f"{'yes' if sub.subscription_id in recorded else 'no'}" + (f" [{directive}]" if directive else "")
        )
    if not state.subscriptions:
        lines.append("(Amazon holds no subscriptions of these sellers to these types)")
    lines += [f"x failed {f.describe()}" for f in state.failures]
    return lines


@subscriptions_app.command("delete")
def delete(
    subscription_id: Annotated[
        str | None, typer.Argument(help="Subscription id (its seller and type are looked up in the database)")
    ] = None,
    seller: Annotated[str | None, typer.Option("--seller", help="Seller id (with --type)")] = None,
    notification_type: Annotated[
        str | None, typer.Option("--type", help="Notification type (with --seller, or with an id)")
    ] = None,
    destination: Annotated[
        str | None, typer.Option("--destination", help="Delete this destination id instead")
    ] = None,
) -> None:
    """Delete one subscription (by id, or by --seller and --type) or one destination (--destination)."""
    settings = load_settings()
    if destination is None and subscription_id is None and (seller is None or notification_type is None):
        raise fail("give a subscription id, --seller with --type, or --destination")

    async def work(context: _Context) -> str:
        api = context.client.notifications
        if destination is not None:
            await api.delete_destination(destination)
            await records.forget_destination(context.engine, destination)
            return f"deleted destination {destination}"
        seller_id, kind, target = seller, notification_type, subscription_id
        if target is not None and (seller_id is None or kind is None):
            found = await records.find_subscription(context.engine, target)
            if found is not None:
                seller_id, kind = seller_id or found.seller_id, kind or found.notification_type
        partner = None
        if seller_id is not None:
            try:
                partner = (await context.directory.credentials(seller_id)).partner
            except UnknownSeller:
                if target is None:
                    raise
                # Credentials gone: the by-id delete also accepts the application's grantless token.
        if target is None:
            assert partner is not None
            assert kind is not None
            held = await api.get_subscriptions(partner, [kind], page_size=MAX_PAGE_SIZE)
            if not held:
                return f"{seller_id} has no {kind} subscription: nothing to delete"
            if len(held) > 1:
                ids = ", ".join(s.subscription_id for s in held)
                raise ConfigError(
                    f"{seller_id} holds {len(held)} {kind} subscriptions (processing directives differ): "
                    f"give the subscription id to delete, one of {ids}"
                )
            target = held[0].subscription_id
        if kind is None:
            raise ConfigError(f"subscription {target} is not recorded here: give its --type (and --seller)")
        await delete_subscription(context.client, partner, kind, target)
        await records.forget_subscription(context.engine, target)
        return f"deleted subscription {target} ({seller_id or 'grantless'} {kind})"

    async def go() -> str:
        async with _context(settings) as context:
            return await work(context)

    try:
        message = run_async(go())
    except (ConfigError, UnknownSeller) as exc:
        raise fail(str(exc)) from None
    except SpApiError as exc:
        raise fail(str(exc), code=1) from None
    typer.echo(message)
