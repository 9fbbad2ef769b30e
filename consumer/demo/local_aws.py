"""An embedded moto server (real HTTP on 127.0.0.1) standing in for SQS, EventBridge and S3.

moto is an optional dependency (the ``demo`` extra): production images do not carry it.
"""

from __future__ import annotations

import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from consumer.demo.moto_sqs_lock import serialise_deletes

HOST = "127.0.0.1"
REGION = "us-east-1"
READY_TIMEOUT = 30.0

# Variables that would override or contradict the embedded endpoint and dummy credentials.
_REMOVED_EXACT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
_REMOVED_PREFIX = "AWS_ENDPOINT_URL_"  # service-specific endpoints take precedence over AWS_ENDPOINT_URL
_LOCAL_HOSTS = ("127.0.0.1", "localhost")

# An opener that ignores HTTP(S)_PROXY: moto is local.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def is_removed(name: str) -> bool:
    """Whether an environment variable would override the embedded endpoint or the dummy credentials."""
    return name in _REMOVED_EXACT or name.startswith(_REMOVED_PREFIX)


def no_proxy(current: str | None) -> str:
    """``current`` (a NO_PROXY value) plus 127.0.0.1 and localhost, so moto is reached directly."""
    hosts = [host for host in (current or "").split(",") if host]
    return ",".join([*hosts, *(host for host in _LOCAL_HOSTS if host not in hosts)])


def aws_settings(endpoint: str) -> dict[str, str]:
    """The variables that point AWS SDKs at ``endpoint`` with dummy credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


def aws_env(endpoint: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment (``base``, default os.environ) whose AWS SDKs use the server at ``endpoint``."""
    env = {key: value for key, value in (os.environ if base is None else base).items() if not is_removed(key)}
    env.update(aws_settings(endpoint))
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = no_proxy(env.get(key))
    return env


def request(url: str, method: str = "GET", timeout: float = 5.0) -> int:
    """One request to the moto server, bypassing any proxy: its HTTP status (HTTPError for 4xx, 5xx)."""
    message = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)  # noqa: S310
    with _direct.open(message, timeout=timeout) as response:
        response.read()
        return int(response.status)


def wait_until_ready(endpoint: str, timeout: float = READY_TIMEOUT) -> None:
    """Poll the moto API until it answers, or raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            request(f"{endpoint}/moto-api/data.json", timeout=2)
        except (OSError, urllib.error.URLError) as exc:  # HTTPError (a URLError) too: keep polling
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"moto server at {endpoint} not ready after {timeout:.0f}s: {exc!r}"
                ) from exc
            time.sleep(0.02)  # poll interval
        else:
            return


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free port; yields its endpoint. Its access log is kept quiet."""
    try:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 (optional dependency)
    except ImportError:
        raise RuntimeError(
            "the embedded AWS emulator needs moto: install spapi-notify with the `demo` extra"
        ) from None
    serialise_deletes()
    # Port 0: the kernel picks a free port when the server binds, so there is no probe-then-bind race.
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        wait_until_ready(endpoint)
        yield endpoint
    finally:
        server.stop()
        access_log.setLevel(level)


@contextmanager
def pointed_at(endpoint: str) -> Iterator[None]:
    """This process's AWS SDKs use ``endpoint`` with dummy credentials until the block ends."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(aws_env(endpoint, saved))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
