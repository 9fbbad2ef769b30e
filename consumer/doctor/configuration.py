"""Settings: the application id, the LWA credentials, the region, the single-seller shortcut, and the key
that decrypts the sellers table's refresh tokens."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncEngine

from consumer.doctor.check import Check, could_not, failed, passed, skipped
from consumer.doctor.config import DoctorConfig
from spapi.regions import ENDPOINTS
from store.sellers import list_sellers, stored_refresh_token
from store.token_cipher import EncryptionKeyError, TokenCipher, UndecryptableToken

# Developer Central shows amzn1.sp.solution.<uuid>; Amazon's notifications carry amzn1.sellerapps.app.<uuid>
# for older applications.
_APPLICATION_ID = re.compile(r"^amzn1\.(sp\.solution|sellerapps\.app)\.[0-9A-Za-z-]+$")
_CLIENT_ID = re.compile(r"^amzn1\.application-oa2-client\.[0-9A-Za-z]+$")


def settings_checks(config: DoctorConfig) -> list[Check]:
    """The checks that need nothing but the settings."""
    return [_application_id(config), _lwa(config), _region(config), _shortcut(config)]


def _application_id(config: DoctorConfig) -> Check:
    name = "settings.application_id"
    value = config.application_id
    if not value:
        return failed(
            name,
            "SPAPI_NOTIFY_APPLICATION_ID is not set: the daemon accepts notifications of any application",
            "set SPAPI_NOTIFY_APPLICATION_ID to the application id from Developer Central "
            "(amzn1.sp.solution.*)",
        )
    if not _APPLICATION_ID.match(value):
        return failed(
            name,
            f"SPAPI_NOTIFY_APPLICATION_ID {value!r} is not shaped like an application id "
            "(amzn1.sp.solution.* or amzn1.sellerapps.app.*): every notification would be refused as "
            "another application's",
            "copy the application id from Developer Central (Apps > your app > App ID)",
        )
    return passed(name, f"SPAPI_NOTIFY_APPLICATION_ID is {value}")


def _lwa(config: DoctorConfig) -> Check:
    name = "settings.lwa_credentials"
    missing = [
        variable
        for variable, present in (
            ("SPAPI_NOTIFY_LWA_CLIENT_ID", bool(config.lwa_client_id)),
            ("SPAPI_NOTIFY_LWA_CLIENT_SECRET", config.lwa_client_secret_set),
        )
        if not present
    ]
    if missing:
        return failed(
            name,
            f"{' and '.join(missing)} not set: no SP-API call (subscriptions, getOrder...) can be made",
            "set both from Developer Central (Apps > your app > LWA credentials)",
        )
    client_id = config.lwa_client_id or ""
    if not _CLIENT_ID.match(client_id):
        return failed(
            name,
            f"SPAPI_NOTIFY_LWA_CLIENT_ID {client_id!r} is not shaped like an LWA client id "
            "(amzn1.application-oa2-client.*)",
            "copy the LWA client identifier (not the application id) from Developer Central",
        )
    return passed(name, f"LWA client id {client_id} and its secret are set")


def _region(config: DoctorConfig) -> Check:
    endpoints = ENDPOINTS[config.region]
    host = endpoints.base_url(sandbox=config.sandbox)
    return passed(
        "settings.region",
        f"SP-API region {config.region.value} ({host}); Amazon delivers its SQS notifications from "
        f"{endpoints.aws_region}",
    )


def _shortcut(config: DoctorConfig) -> Check:
    name = "settings.seller_shortcut"
    if config.shortcut_problem:
        return failed(
            name,
            config.shortcut_problem,
            "set both SPAPI_NOTIFY_SELLER_ID and SPAPI_NOTIFY_REFRESH_TOKEN, or neither "
            "(and store sellers with `spapi-notify sellers add`)",
        )
    return passed(name, "SPAPI_NOTIFY_SELLER_ID and SPAPI_NOTIFY_REFRESH_TOKEN are both set, or both unset")


async def encryption_key_check(config: DoctorConfig, engine: AsyncEngine) -> Check:
    """When the sellers table holds tokens: the key is set, well formed, and decrypts every one of them."""
    name = "settings.encryption_key"
    sellers = await list_sellers(engine)
    if not sellers:
        return skipped(name, "the sellers table holds no refresh tokens: no key needed")
    try:
        cipher = TokenCipher(config.encryption_key)
    except EncryptionKeyError as exc:
        return failed(
            name,
            f"the sellers table holds {len(sellers)} encrypted refresh token(s), but {exc}",
            "set SPAPI_NOTIFY_ENCRYPTION_KEY to the key the tokens were stored with (the daemon refuses to "
            "start "
            "without it)",
        )
    unreadable = []
    for seller in sellers:
        try:
            await stored_refresh_token(engine, cipher, seller.seller_id)
        except UndecryptableToken:
            unreadable.append(seller.seller_id)
    if unreadable:
        return failed(
            name,
            f"SPAPI_NOTIFY_ENCRYPTION_KEY does not decrypt the refresh token of {', '.join(unreadable)}: "
            "their notifications are dead-lettered as seller_credentials",
            "put the key the tokens were stored with in SPAPI_NOTIFY_ENCRYPTION_KEY (new,old during a "
            "rotation), "
            f"or store the tokens again: `spapi-notify sellers add {unreadable[0]}`",
        )
    return passed(name, f"SPAPI_NOTIFY_ENCRYPTION_KEY decrypts all {len(sellers)} stored refresh token(s)")


def key_unchecked(reason: str) -> Check:
    """The key check when the database could not be read."""
    return could_not("settings.encryption_key", f"the sellers table could not be read ({reason})")
