"""Login with Amazon: the application's grantless token, and each seller's refresh token (a revoked
authorisation answers invalid_grant)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from consumer.doctor.check import Check, could_not, failed, passed
from spapi.client import SpApiClient
from spapi.credentials import GRANTLESS
from spapi.errors import InvalidClient, InvalidGrant, LwaError, SpApiError
from store.seller_directory import SellerCredentials, SellerDirectory, UnknownSeller
from store.token_cipher import EncryptionKeyError, UndecryptableToken


async def grantless_check(client: SpApiClient) -> Check:
    """A client_credentials token with the notifications scope: what destinations need."""
    name = "lwa.grantless"
    what = f"client_credentials token (scope {GRANTLESS.scope}) from {client.config.lwa_endpoint}"
    try:
        await client.lwa.access_token(GRANTLESS)
    except InvalidClient as exc:
        return failed(
            name,
            f"{what}: {exc}",
            "correct SPAPI_NOTIFY_LWA_CLIENT_ID and SPAPI_NOTIFY_LWA_CLIENT_SECRET (Developer Central > "
            "your app > "
            "LWA credentials; a rotated secret must be updated here too)",
        )
    except LwaError as exc:
        return failed(
            name,
            f"{what}: {exc}",
            "check the LWA credentials and that the application may call the Notifications API",
        )
    except SpApiError as exc:
        return could_not(name, f"{what}: {exc}")
    return passed(name, f"{what}: issued")


async def seller_checks(
    client: SpApiClient, directory: SellerDirectory, seller_ids: Sequence[str], concurrency: int = 16
) -> tuple[list[Check], dict[str, SellerCredentials]]:
    """Each seller's refresh token; the credentials of the sellers whose token works."""
    limit = asyncio.Semaphore(concurrency)
    usable: dict[str, SellerCredentials] = {}

    async def one(seller_id: str) -> Check:
        name = "lwa.seller"
        try:
            credentials = await directory.credentials(seller_id)
        except UnknownSeller as exc:
            return failed(name, str(exc), f"`spapi-notify sellers add {seller_id}`", subject=seller_id)
        except (UndecryptableToken, EncryptionKeyError) as exc:
            return failed(
                name,
                f"its stored refresh token cannot be read: {exc}",
                "see settings.encryption_key",
                subject=seller_id,
            )
        async with limit:
            try:
                await client.lwa.access_token(credentials.partner)
            except InvalidGrant as exc:
                return failed(
                    name,
                    f"{exc}: the seller revoked the authorisation (or the token belongs to another "
                    "application); "
                    "Amazon stops sending its notifications",
                    f"the seller authorises the application again; store the new token with "
                    f"`spapi-notify sellers add {seller_id}`",
                    subject=seller_id,
                )
            except LwaError as exc:
                return failed(name, str(exc), "see lwa.grantless and the LWA credentials", subject=seller_id)
            except SpApiError as exc:
                return could_not(name, str(exc), subject=seller_id)
        usable[seller_id] = credentials
        return passed(
            name, f"refresh token works (SP-API region {credentials.region.value})", subject=seller_id
        )

    checks = await asyncio.gather(*(one(s) for s in seller_ids))
    return list(checks), usable
