"""Our SP-API client against python-amazon-sp-api: CPU per call, 429s and the rate reached, in the same run.

One sandbox (in this process) enforces one usage plan on getListingsItem (default 20/s, burst 10, an exact
token bucket); each client makes ``--calls`` getListingsItem calls (default 300) against it, in a process of
its own, one after the other:

- ours: ``SpApiClient`` with the plan configured and its in-memory rate budget (MemoryBudget, the library
  default: in the daemon every call also does one database statement to reserve its slot, a cost of the
  shared budget that ``bench.fleet`` measures, not of the client library), every call issued at once;
- the peer: python-amazon-sp-api 2.1.35 (sync, httpx), ``--peer-threads`` threads (default 4) sharing the
  calls, each call under the library's own ``throttle_retry`` decorator (sleeps 5 s, then x1.3, on a 429). It
  is installed in a virtualenv of its own that this bench makes (``.bench-venvs/`` in the checkout,
  git-ignored; ``python -m venv`` + pip). It is pointed at the sandbox with as little patching as possible:
  its documented ``auth_token_client_class`` parameter takes an AccessTokenClient subclass whose scheme and
  host are the sandbox's LWA, and the client's ``endpoint`` attribute (set from the marketplace in its
  constructor) is replaced by the sandbox's URL after construction. Nothing else is changed.

Measured per client: CPU per successful call (the process's own user + system time over the calls, the LWA
token fetched before; start-up and imports excluded), 429s the sandbox sent it, achieved / allowed rate (calls
beyond the burst over the time from the first to the last), and peak RSS (VmHWM).
Bars: our CPU per call <= 1.0x the peer's; our 429s 0; our achieved / allowed >= 0.9.

With --quick, 30 calls, and the peer only when a full run has installed it already (the test suite runs every
bench with --quick and must not spend its time in pip); when the peer is not there or cannot be installed (no
network), it is skipped with a line saying so and ours still runs; the bars are printed but not enforced.

    .venv/bin/python -m bench.client [--calls 300] [--rate 20] [--burst 10] [--peer-threads 4] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import bar_verdict, parse_args
from spapi.sandbox import SandboxServer, SandboxState

ROOT = Path(__file__).resolve().parent.parent
PEER = "python-amazon-sp-api==2.1.35"
VENVS = ROOT / ".bench-venvs"
OP = "listingsItems_2021-08-01.getListingsItem"
CLIENT_ID, CLIENT_SECRET = "amzn1.application-oa2-client.bench", "bench-secret"
SELLER_ID, REFRESH_TOKEN = "A1BENCHSELLER", "Atzr|bench-refresh"
MARKETPLACE = "ATVPDKIKX0DER"
CPU_BAR = 1.0
RATE_BAR = 0.9

OURS = """
import asyncio, json, os, sys, time
from pydantic import SecretStr
from consumer.ops.log_config import configure_logging
from spapi import SellingPartner, SpApiClient, SpApiConfig
from spapi.model_catalog import UsagePlan

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

async def main(url, lwa_url, calls, rate, burst):
    configure_logging("warning", "json")
    seller = SellingPartner(id=%(seller)r, refresh_token=SecretStr(%(token)r))
    config = SpApiConfig(
        lwa_client_id=%(client_id)r, lwa_client_secret=SecretStr(%(secret)r),
        endpoint=url, lwa_endpoint=lwa_url, rate_limit_max_wait=600,
        rate_limit_overrides={%(op)r: UsagePlan(rate=rate, burst=burst)},
    )
    async with SpApiClient(config) as client:
        await client.lwa.access_token(seller)
        cpu, started = os.times(), time.perf_counter()
        results = await asyncio.gather(*(
            client.listings.get_listings_item(
                seller, seller_id=%(seller)r, sku=f"SKU-{i}", marketplace_ids=[%(market)r]
            )
            for i in range(calls)
        ), return_exceptions=True)
        seconds, after = time.perf_counter() - started, os.times()
    ok = sum(not isinstance(r, BaseException) for r in results)
    cpu_seconds = (after.user + after.system) - (cpu.user + cpu.system)
    print(json.dumps({"ok": ok, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss": hwm()}))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])))
"""

PEER_RUN = """
import json, os, sys, threading, time
from urllib.parse import urlsplit
from sp_api.api import ListingsItems
from sp_api.auth import AccessTokenClient
from sp_api.util import throttle_retry

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

url, lwa_url, calls, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lwa = urlsplit(lwa_url)

class SandboxToken(AccessTokenClient):
    scheme = lwa.scheme + "://"
    host = lwa.netloc
    path = lwa.path

credentials = {"refresh_token": %(token)r, "lwa_app_id": %(client_id)r, "lwa_client_secret": %(secret)r}
client = ListingsItems(credentials=credentials, auth_token_client_class=SandboxToken)
client.endpoint = url  # set from the marketplace in the constructor: the one patch

@throttle_retry()
def get(sku):
    return client.get_listings_item(%(seller)r, sku)

get("SKU-warm-up")  # fetches the LWA token: not part of the measurement (nor of the calls counted)
ok = 0
lock = threading.Lock()
skus = iter(range(calls))

def work():
    global ok
    while True:
        with lock:
            i = next(skus, None)
        if i is None:
            return
        get(f"SKU-{i}")
        with lock:
            ok += 1

cpu, started = os.times(), time.perf_counter()
workers = [threading.Thread(target=work) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
seconds, after = time.perf_counter() - started, os.times()
cpu_seconds = (after.user + after.system) - (cpu.user + cpu.system)
print(json.dumps({"ok": ok, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss": hwm()}))
"""

NAMES = {
    "seller": SELLER_ID,
    "token": REFRESH_TOKEN,
    "client_id": CLIENT_ID,
    "secret": CLIENT_SECRET,
    "op": OP,
    "market": MARKETPLACE,
}


@dataclass(frozen=True)
class Result:
    """One client's run: successful calls, 429s it received, timings and peak RSS."""

    name: str
    ok: int
    throttled: int
    seconds: float
    cpu_seconds: float
    peak_rss: int
    rate: float
    burst: int

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_seconds / max(1, self.ok)

    @property
    def ratio(self) -> float:
        """Achieved over allowed: the burst is free, every further call costs 1/rate at best."""
        return (self.ok - self.burst) / self.seconds / self.rate


def peer_python(install: bool) -> Path | None:
    """The peer's virtualenv python, made on first use when ``install``; None when it is not there."""
    venv = VENVS / PEER.replace("==", "-")
    python = venv / "bin" / "python"
    if python.exists() and _has_peer(python):
        return python
    if not install:
        return None
    print(f"installing {PEER} into {venv.relative_to(ROOT)} (once)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PEER],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if pip.returncode != 0 or not _has_peer(python):
        print(pip.stderr[-2000:])
        return None
    return python


def _has_peer(python: Path) -> bool:
    check = subprocess.run([str(python), "-c", "import sp_api.api"], capture_output=True, check=False)
    return check.returncode == 0


def run_client(name: str, argv: list[str], state: SandboxState, rate: float, burst: int) -> Result:
    state.set_rate_limit(OP, rate=rate, burst=burst)  # the bucket starts full for each client
    throttled_before = state.throttled[OP]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return Result(
        name=name,
        ok=result["ok"],
        throttled=state.throttled[OP] - throttled_before,
        seconds=result["seconds"],
        cpu_seconds=result["cpu_seconds"],
        peak_rss=result["peak_rss"],
        rate=rate,
        burst=burst,
    )


def describe(result: Result, calls: int) -> str:
    return (
        f"{result.name:>28}: ok={result.ok}/{calls}  CPU {result.cpu_ms_per_call:.3f} ms/call  "
        f"429s={result.throttled}  achieved/allowed={result.ratio:.3f}  time={result.seconds:.1f}s  "
        f"peak RSS {result.peak_rss / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--peer-threads", type=int, default=4)
    args = parse_args(parser, calls=30)
    state = SandboxState(
        clients={CLIENT_ID: CLIENT_SECRET},
        sellers={REFRESH_TOKEN: SELLER_ID},
        rate_limit_tolerance=0.0,
        record_limit=1000,
    )
    python = peer_python(install=not args.quick)
    with SandboxServer(state) as server:
        common = [server.url, server.lwa_url, str(args.calls)]
        ours = run_client(
            "ours (spapi-notify)",
            [sys.executable, "-c", OURS % NAMES, *common, str(args.rate), str(args.burst)],
            state,
            args.rate,
            args.burst,
        )
        peer = None
        if python is not None:
            peer = run_client(
                "python-amazon-sp-api 2.1.35",
                [str(python), "-c", PEER_RUN % NAMES, *common, str(args.peer_threads)],
                state,
                args.rate,
                args.burst,
            )
    print(f"{args.calls} getListingsItem calls each; plan {args.rate:g}/s, burst {args.burst}")
    print(describe(ours, args.calls))
    ok = ours.ok == args.calls and ours.throttled == 0 and ours.ratio >= RATE_BAR
    if peer is None:
        why = "not installed (a full run installs it)" if args.quick else "not installable (no network?)"
        print(f"peer: skipped, python-amazon-sp-api {why}")
        ok = False
    else:
        print(describe(peer, args.calls))
        cpu_ratio = ours.cpu_ms_per_call / peer.cpu_ms_per_call
        print(f"CPU per call, ours / peer's: {cpu_ratio:.2f}")
        ok = ok and cpu_ratio <= CPU_BAR
    print(
        f"bar (CPU/call <= {CPU_BAR:g}x the peer's, our 429s 0, our achieved/allowed >= {RATE_BAR:g}):",
        bar_verdict(ok, args.quick),
    )
    raise SystemExit(0 if ok or args.quick else 1)


if __name__ == "__main__":
    main()
