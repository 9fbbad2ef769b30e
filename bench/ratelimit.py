"""How close to Amazon's rate limit the client runs without being throttled.

500 getListingsItem calls, all issued at once, through SpApiClient against the offline sandbox set to
rate 50/s, burst 10. The baseline is the allowed rate itself, measured over the same run: the fastest a
perfect client could finish is ``(calls - burst) / rate`` seconds. Prints calls, 429s received, and the
achieved rate as a fraction of the allowed rate (bar: zero 429s, ratio >= 0.9).

Two runs: the client configured with the plan ("configured"), and the client starting from the model's
default (5/s) and learning Amazon's rate from x-amzn-RateLimit-Limit ("learned").

With --quick, 30 calls per run: both runs, the bar printed but not enforced (the exit status is 0 unless a
call fails).

    .venv/bin/python -m bench.ratelimit [--calls 500] [--rate 50] [--burst 10] [--tolerance 0] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass

from pydantic import SecretStr

from bench import bar_verdict, parse_args
from consumer.ops.log_config import configure_logging
from spapi import SellingPartner, SpApiClient, SpApiConfig
from spapi.model_catalog import UsagePlan
from spapi.sandbox import SandboxServer, SandboxState

OP = "listingsItems_2021-08-01.getListingsItem"
CLIENT_ID, CLIENT_SECRET = "amzn1.application-oa2-client.bench", "bench-secret"
SELLER_ID, REFRESH_TOKEN = "A1BENCHSELLER", "Atzr|bench-refresh"


@dataclass(frozen=True)
class Result:
    mode: str
    calls: int
    throttled_429: int
    seconds: float
    achieved_rate: float
    allowed_rate: float
    ratio: float


async def run(mode: str, calls: int, rate: float, burst: int, tolerance: float) -> Result:
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={REFRESH_TOKEN: SELLER_ID},
        rate_limit_tolerance=tolerance,
        record_limit=1000,
    )
    state.set_rate_limit(OP, rate=rate, burst=burst)
    seller = SellingPartner(id=SELLER_ID, refresh_token=SecretStr(REFRESH_TOKEN))
    overrides = {OP: UsagePlan(rate=rate, burst=burst)} if mode == "configured" else {}
    async with SandboxServer(state) as server:
        config = SpApiConfig(
            lwa_client_id=CLIENT_ID,
            lwa_client_secret=SecretStr(CLIENT_SECRET),
            endpoint=server.url,
            lwa_endpoint=server.lwa_url,
            rate_limit_overrides=overrides,
            rate_limit_max_wait=600,
        )
        async with SpApiClient(config) as client:
            await client.lwa.access_token(seller)  # the token request is not part of the measurement
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    client.listings.get_listings_item(
                        seller, seller_id=SELLER_ID, sku=f"SKU-{i}", marketplace_ids=["ATVPDKIKX0DER"]
                    )
                    for i in range(calls)
                )
            )
            seconds = time.perf_counter() - started
    # The burst is free; every further call costs 1/rate seconds at best.
    achieved = (calls - burst) / seconds
    return Result(
        mode=mode,
        calls=state.calls[OP],
        throttled_429=state.throttled[OP],
        seconds=round(seconds, 3),
        achieved_rate=round(achieved, 2),
        allowed_rate=rate,
        ratio=round(achieved / rate, 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="seconds of arrival jitter the fake forgives (0: an exact token bucket)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parse_args(parser, calls=30)
    configure_logging("warning", "console")
    ok = True
    for mode in ("configured", "learned"):
        result = asyncio.run(run(mode, args.calls, args.rate, args.burst, args.tolerance))
        ok = ok and result.throttled_429 == 0 and result.ratio >= 0.9
        if args.json:
            print(json.dumps(asdict(result)))
        else:
            print(
                f"{result.mode:>10}: calls={result.calls} 429s={result.throttled_429} "
                f"time={result.seconds:.2f}s achieved={result.achieved_rate:.1f}/s "
                f"allowed={result.allowed_rate:g}/s ratio={result.ratio:.3f}"
            )
    print("bar (zero 429s, ratio >= 0.9):", bar_verdict(ok, args.quick))
    raise SystemExit(0 if ok or args.quick else 1)


if __name__ == "__main__":
    main()
