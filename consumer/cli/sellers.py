"""``spapi-notify sellers``: the selling partners we hold credentials for.

A refresh token is never a command-line argument (it would land in shell history and ``ps``): ``add`` reads
it from SPAPI_NOTIFY_SELLER_REFRESH_TOKEN when set, else from stdin (a hidden prompt on a terminal), else,
for the seller of the single-seller shortcut only, from SPAPI_NOTIFY_REFRESH_TOKEN.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.cli.support import fail, load_settings, run_async
from consumer.settings import Settings
from spapi.marketplaces import BY_ID, region_of
from spapi.regions import Region
from store.engine import create_engine
from store.migrate import ensure_current
from store.sellers import add_seller, list_sellers, remove_seller, rotate_tokens
from store.token_cipher import TokenCipher

T = TypeVar("T")

TOKEN_VARIABLE = "SPAPI_NOTIFY_SELLER_REFRESH_TOKEN"  # noqa: S105 (a variable name)

sellers_app = typer.Typer(
    help="Selling partners and their LWA refresh tokens (encrypted at rest).", no_args_is_help=True
)


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        await ensure_current(engine)
        return await work(engine)
    finally:
        await engine.dispose()


def _read_token(seller_id: str, settings: Settings) -> SecretStr:
    value = os.environ.get(TOKEN_VARIABLE)
    if value is None:
        if sys.stdin.isatty():
            value = typer.prompt("LWA refresh token", hide_input=True)
        else:
            value = sys.stdin.readline()
    value = value.strip()
    if not value and settings.seller_id == seller_id and settings.refresh_token is not None:
        # Nothing on stdin while adding the single-seller shortcut's seller: its token is the one meant. Never
        # for another seller, who would silently get the shortcut seller's authority.
        value = settings.refresh_token.get_secret_value().strip()
    if not value:
        raise fail(f"no refresh token: pipe it on stdin or set {TOKEN_VARIABLE}")
    if not value.startswith("Atzr|"):
        typer.echo("warning: LWA refresh tokens start with 'Atzr|'; storing it anyway", err=True)
    return SecretStr(value)


@sellers_app.command("add")
def add(
    seller_id: Annotated[str, typer.Argument(help="Seller id (A1...) or vendor account id (amzn1.vg.*)")],
    marketplace: Annotated[
        list[str] | None, typer.Option("--marketplace", "-m", help="Marketplace id (repeatable)")
    ] = None,
    region: Annotated[
        Region | None,
        typer.Option(help="SP-API region; default: the marketplaces' region, else SPAPI_NOTIFY_REGION"),
    ] = None,
) -> None:
    """Add a seller, or replace its token, region and marketplaces. The token comes from stdin or the env."""
    settings = load_settings()
    marketplaces = list(marketplace or [])
    unknown = [m for m in marketplaces if m not in BY_ID]
    if unknown:
        raise fail(f"unknown marketplace id(s): {', '.join(unknown)}")
    regions = {region_of(m) for m in marketplaces}
    if region is None:
        if len(regions) > 1:
            raise fail("the marketplaces span several regions: pass --region")
        region = regions.pop() if regions else settings.region
    elif regions - {region}:
        raise fail(f"marketplace(s) outside region {region.value}: {', '.join(sorted(marketplaces))}")
    try:
        cipher = TokenCipher(settings.encryption_key)
    except ValueError as exc:
        raise fail(str(exc)) from None
    token = _read_token(seller_id, settings)

    async def work(engine: AsyncEngine) -> bool:
        return await add_seller(
            engine,
            cipher,
            seller_id=seller_id,
            region=region,
            marketplace_ids=marketplaces,
            refresh_token=token,
        )

    created = run_async(_with_engine(settings, work))
    typer.echo(f"{'added' if created else 'updated'} {seller_id} ({region.value})")


@sellers_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="JSON lines for scripts")] = False) -> None:
    """The sellers we hold credentials for (never their tokens)."""
    settings = load_settings()
    sellers = run_async(_with_engine(settings, list_sellers))
    if as_json:
        for seller in sellers:
            typer.echo(
                json.dumps(
                    {
                        "seller_id": seller.seller_id,
                        "account_kind": seller.account_kind,
                        "region": seller.region.value,
                        "marketplace_ids": list(seller.marketplace_ids),
                        "created_at": seller.created_at.isoformat(),
                        "updated_at": seller.updated_at.isoformat(),
                    }
                )
            )
        return
    if not sellers:
        typer.echo("no sellers (add one with `spapi-notify sellers add SELLER_ID`)")
        return
    typer.echo(f"{'seller id':<32} {'kind':<7} {'region':<6} {'marketplaces':<40} updated")
    for seller in sellers:
        typer.echo(
            f"{seller.seller_id:<32} {seller.account_kind:<7} {seller.region.value:<6} "
            f"{','.join(seller.marketplace_ids) or '-':<40} {seller.updated_at:%Y-%m-%d %H:%M}"
        )


@sellers_app.command("remove")
def remove(seller_id: str) -> None:
    """Forget a seller's credentials (its notifications will be dead-lettered as unknown_seller)."""
    settings = load_settings()

    async def work(engine: AsyncEngine) -> bool:
        return await remove_seller(engine, seller_id)

    if not run_async(_with_engine(settings, work)):
        raise fail(f"no seller {seller_id}", code=1)
    typer.echo(f"removed {seller_id}")


@sellers_app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored token with the first key of SPAPI_NOTIFY_ENCRYPTION_KEY."""
    settings = load_settings()
    try:
        cipher = TokenCipher(settings.encryption_key)
    except ValueError as exc:
        raise fail(str(exc)) from None

    async def work(engine: AsyncEngine) -> int:
        return await rotate_tokens(engine, cipher)

    count = run_async(_with_engine(settings, work))
    typer.echo(f"re-encrypted {count} refresh token(s) with the newest key")


@sellers_app.command("generate-key")
def generate_key() -> None:
    """Print a new Fernet key for SPAPI_NOTIFY_ENCRYPTION_KEY."""
    typer.echo(TokenCipher.generate_key())
