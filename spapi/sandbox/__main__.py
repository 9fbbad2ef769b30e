"""``python -m spapi.sandbox``: serve the sandbox until interrupted; the first stdout line is its URL."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from spapi.sandbox.server import SandboxServer
from spapi.sandbox.state import SandboxState


def _seller(text: str) -> tuple[str, str]:
    refresh_token, sep, partner = text.rpartition("=")
    if not sep or not refresh_token or not partner:
        raise argparse.ArgumentTypeError("expected REFRESH_TOKEN=SELLING_PARTNER_ID")
    return refresh_token, partner


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; a usage error when no client secret is given."""
    parser = argparse.ArgumentParser(prog="python -m spapi.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", required=True)
    parser.add_argument(
        "--client-secret",
        default=os.environ.get("SPAPI_SANDBOX_CLIENT_SECRET"),
        help="LWA client secret (default: $SPAPI_SANDBOX_CLIENT_SECRET, which keeps it out of `ps`)",
    )
    parser.add_argument(
        "--seller", action="append", type=_seller, default=[], metavar="REFRESH_TOKEN=SELLING_PARTNER_ID"
    )
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="LWA access token lifetime, seconds")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not throttle")
    parser.add_argument("--record-limit", type=int, default=10_000, help="recorded requests kept in memory")
    args = parser.parse_args(argv)
    if not args.client_secret:
        parser.error("--client-secret (or $SPAPI_SANDBOX_CLIENT_SECRET) is required")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the sandbox until SIGINT or SIGTERM, printing its URL first; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    state = SandboxState(
        clients={args.client_id: args.client_secret},
        sellers=dict(args.seller),
        token_ttl=args.token_ttl,
        rate_limits_enabled=not args.no_rate_limits,
        record_limit=args.record_limit,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with SandboxServer(state, host=args.host, port=args.port) as server:
        print(server.url, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
