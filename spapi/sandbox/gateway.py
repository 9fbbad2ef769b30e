"""What Amazon's gateway decides before an operation runs, in its order: faults, authorisation, throttling.

One lock acquisition per request: counting, token lookup and bucket accounting must agree with each other
when many requests race.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spapi.model_catalog import OperationSpec
from spapi.sandbox.auth import Authorization, authorize
from spapi.sandbox.faults import Fault
from spapi.sandbox.ratelimit import GRANTLESS_BUCKET
from spapi.sandbox.state import SandboxState

Verdict = Literal["drop", "fault", "denied", "throttled", "admitted"]


@dataclass(frozen=True)
class Admission:
    """The gateway's decision on one request, with what the answer needs: delay, rate limit, fault."""

    outcome: Verdict
    auth: Authorization
    delay: float
    rate_limit: str | None  # the x-amzn-RateLimit-Limit value
    fault: Fault | None = None
    throttled_by: str | None = None  # "account" or "application" when throttled


def admit(
    state: SandboxState, spec: OperationSpec, token: str | None, method: str, path_segments: list[str]
) -> Admission:
    """Decide a request's fate and update the counters.

    ``calls`` counts every attempt that reached the operation, injected faults and refused tokens included;
    only requests throttled by the token bucket are left out of it (they are counted in ``throttled``, with
    injected 429s).
    """
    key = spec.key
    with state.lock:
        now = state.clock()
        issued = state.tokens.get(token) if token else None
        auth = authorize(spec, issued, now, method, path_segments)
        delay = state.faults.delay(key)
        plan = state.rate_limits.plan(spec)
        rate = None if plan is None else str(plan.rate)

        def outcome(name: Verdict, fault: Fault | None = None) -> Admission:
            return Admission(name, auth, delay, rate, fault)

        if state.faults.take_drop(key):
            state.calls[key] += 1
            return outcome("drop")
        fault = state.faults.take_fault(key)
        if fault is not None:
            state.calls[key] += 1
            if fault.status == 429:
                state.throttled[key] += 1
            return outcome("fault", fault)
        if not auth.allowed:
            state.calls[key] += 1
            return outcome("denied")
        # Grantless tokens carry no selling partner: they share one bucket per operation.
        partner = auth.selling_partner_id or GRANTLESS_BUCKET
        limit = (
            state.rate_limits.take(partner, spec, now, state.rate_limit_tolerance)
            if state.rate_limits_enabled
            else None
        )
        if limit is not None:
            state.throttled[key] += 1
            if limit == "application":
                state.throttled_application[key] += 1
            return Admission("throttled", auth, delay, rate, throttled_by=limit)
        state.calls[key] += 1
        return outcome("admitted")
