"""Does a resource policy (an SQS queue policy, a KMS key policy) let a caller do an action on a resource?

A pure evaluation of the policy JSON, as AWS evaluates a resource-based policy for a caller from another
account or an AWS service: an explicit Deny wins, else an Allow grants, else the request is denied.

What is evaluated:
- ``Effect`` Allow and Deny; ``Statement`` as one object or a list.
- ``Principal``: ``"*"``, ``{"AWS": ...}`` (a string or a list; an account id, ``arn:aws:iam::ACCOUNT:root``
  or ``"*"``) and ``{"Service": ...}``. A specific role or user of the caller's account is "could not check"
  (which identity Amazon sends as is not documented); ``NotPrincipal`` is "could not check".
- ``Action``/``NotAction``: a string or a list, case-insensitive, with the ``*`` and ``?`` wildcards
  (``sqs:*``, ``SQS:SendMessage``, ``*``).
- ``Resource``/``NotResource``: a string or a list, with wildcards; a statement without either applies to
  the resource the policy is attached to.
- ``Condition``: the operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike and Bool
  (each also with ``IfExists``) on the keys the caller's request is known to carry (``context``:
  ``aws:SecureTransport`` always, ``aws:SourceArn`` and ``aws:SourceAccount`` when the sender is known, e.g.
  an EventBridge rule). Any other operator (numeric, date, IpAddress, ``ForAnyValue:``/``ForAllValues:``
  sets, Null) or key makes that statement "could not check".

A statement that might apply but cannot be decided never turns into a pass: when the verdict depends on it,
the verdict is UNKNOWN and says which statement and condition it could not evaluate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

SPAPI_ACCOUNT = "437568002678"
EVENTBRIDGE_SERVICE = "events.amazonaws.com"

Tri = bool | None  # True, False, or None: could not be decided


class Verdict(StrEnum):
    """What the policy says of the request."""

    ALLOWED = "allowed"
    DENIED = "denied"  # an explicit Deny statement applies
    NOT_ALLOWED = "not_allowed"  # no statement allows it (the implicit deny)
    UNKNOWN = "unknown"  # a statement the verdict depends on could not be evaluated


@dataclass(frozen=True)
class Caller:
    """Who sends: an AWS account (its principals) or an AWS service principal."""

    label: str
    account: str | None = None
    service: str | None = None


SPAPI = Caller(f"Amazon's SP-API notification principal ({SPAPI_ACCOUNT})", account=SPAPI_ACCOUNT)
EVENTBRIDGE = Caller(f"EventBridge ({EVENTBRIDGE_SERVICE})", service=EVENTBRIDGE_SERVICE)


@dataclass(frozen=True)
class Decision:
    """The verdict and, in a sentence, the statement that decided it or what could not be evaluated."""

    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class _Match:
    value: Tri
    why: str = ""  # for None: what could not be evaluated


_YES = _Match(True)
_NO = _Match(False)


def _all(*matches: _Match) -> _Match:
    if any(m.value is False for m in matches):
        return _NO
    unknown = [m for m in matches if m.value is None]
    return unknown[0] if unknown else _YES


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [("true" if item else "false") if isinstance(item, bool) else str(item) for item in items]


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` one character."""
    return _pattern(glob, ignore_case).match(value) is not None


# -- principal, action, resource ------------------------------------------------------------------------


def _principal(statement: Mapping[str, Any], caller: Caller) -> _Match:
    if "Principal" not in statement:
        if "NotPrincipal" in statement:
            return _Match(None, "it uses NotPrincipal, which is not evaluated")
        return _Match(None, "it names no Principal")
    principal = statement["Principal"]
    if principal == "*":
        return _YES
    if not isinstance(principal, Mapping):
        return _Match(None, f"its Principal {principal!r} has an unknown shape")
    found = _NO
    for kind, raw in principal.items():
        for value in _values(raw):
            match = _one_principal(kind, value, caller)
            if match.value is True:
                return _YES
            if match.value is None:
                found = match
    return found


def _one_principal(kind: str, value: str, caller: Caller) -> _Match:
    if kind == "AWS":
        return _aws_principal(value, caller)
    if kind == "Service":
        return _Match(caller.service is not None and value.lower() == caller.service.lower())
    return _NO


def _aws_principal(value: str, caller: Caller) -> _Match:
    if value == "*":
        return _YES
    if caller.account is None:
        return _NO
    if value == caller.account or re.fullmatch(rf"arn:aws[a-z-]*:iam::{caller.account}:root", value):
        return _YES
    if re.fullmatch(rf"arn:aws[a-z-]*:(iam|sts)::{caller.account}:.+", value):
        return _Match(None, f"it names {value}, a principal of {caller.account} that is not the account")
    return _NO


def _listed(
    statement: Mapping[str, Any], key: str, negated_key: str, value: str, *, ignore_case: bool
) -> _Match:
    if key in statement:
        return _Match(any(glob_match(p, value, ignore_case=ignore_case) for p in _values(statement[key])))
    if negated_key in statement:
        return _Match(
            not any(glob_match(p, value, ignore_case=ignore_case) for p in _values(statement[negated_key]))
        )
    return _YES


# -- conditions ------------------------------------------------------------------------------------------

_OPERATORS = {
    # operator -> (negated, ignore case, wildcards)
    "StringEquals": (False, False, False),
    "StringNotEquals": (True, False, False),
    "StringEqualsIgnoreCase": (False, True, False),
    "StringNotEqualsIgnoreCase": (True, True, False),
    "StringLike": (False, False, True),
    "StringNotLike": (True, False, True),
    "ArnEquals": (False, False, True),
    "ArnLike": (False, False, True),
    "ArnNotEquals": (True, False, True),
    "ArnNotLike": (True, False, True),
    "Bool": (False, True, False),
}


def _condition(statement: Mapping[str, Any], context: Mapping[str, str]) -> _Match:
    block = statement.get("Condition")
    if not block:
        return _YES
    if not isinstance(block, Mapping):
        return _Match(None, "its Condition has an unknown shape")
    known = {key.lower(): value for key, value in context.items()}
    results = []
    for operator, tests in block.items():
        base = operator.removesuffix("IfExists")
        if base not in _OPERATORS or not isinstance(tests, Mapping):
            return _Match(None, f"its condition operator {operator} is not evaluated")
        negated, ignore_case, wildcards = _OPERATORS[base]
        for key, expected in tests.items():
            actual = known.get(key.lower())
            if actual is None:
                return _Match(
                    None,
                    f"its condition {operator} {key} depends on a value the request's sender does not reveal",
                )
            if wildcards:
                hit = any(glob_match(e, actual, ignore_case=ignore_case) for e in _values(expected))
            elif ignore_case:
                hit = any(e.lower() == actual.lower() for e in _values(expected))
            else:
                hit = actual in _values(expected)
            results.append(_Match(hit != negated))
    return _all(*results)


# -- the policy ------------------------------------------------------------------------------------------


def _statements(policy: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    if not isinstance(policy, Mapping):
        return None
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        return None
    return statements


def statement_label(statement: Mapping[str, Any], index: int) -> str:
    """The statement's Sid, else its position (``statement #2``)."""
    sid = statement.get("Sid")
    return f"statement {sid!r}" if sid else f"statement #{index + 1}"


def evaluate(
    policy: str | Mapping[str, Any] | None,
    *,
    caller: Caller,
    actions: Sequence[str],
    resource: str,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """Whether ``policy`` lets ``caller`` do every one of ``actions`` on ``resource`` (see the module
    docstring for what is evaluated). ``context`` holds the condition keys the request is known to carry."""
    if policy is None or policy == "":
        return Decision(Verdict.NOT_ALLOWED, "the resource has no policy (only its own account may use it)")
    statements = _statements(policy)
    if statements is None:
        return Decision(Verdict.UNKNOWN, "the policy is not a JSON policy document with a Statement list")
    keys = {"aws:SecureTransport": "true", **(context or {})}
    decisions = [_one_action(statements, caller, action, resource, keys) for action in actions]
    for verdict in (Verdict.DENIED, Verdict.UNKNOWN, Verdict.NOT_ALLOWED):
        for decision in decisions:
            if decision.verdict is verdict:
                return decision
    return decisions[0] if decisions else Decision(Verdict.ALLOWED, "no action asked")


def _one_action(
    statements: Sequence[Mapping[str, Any]],
    caller: Caller,
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> Decision:
    allows: list[str] = []
    maybe_allows: list[str] = []
    maybe_denies: list[str] = []
    for index, statement in enumerate(statements):
        label = statement_label(statement, index)
        applies = _all(
            _principal(statement, caller),
            _listed(statement, "Action", "NotAction", action, ignore_case=True),
            _listed(statement, "Resource", "NotResource", resource, ignore_case=False),
            _condition(statement, context),
        )
        deny = str(statement.get("Effect", "")).lower() == "deny"
        if applies.value is True and deny:
            return Decision(Verdict.DENIED, f"{label} denies {caller.label} {action} on {resource}")
        if applies.value is True:
            allows.append(label)
        elif applies.value is None:
            (maybe_denies if deny else maybe_allows).append(f"{label}: {applies.why}")
    if allows and not maybe_denies:
        return Decision(Verdict.ALLOWED, f"{allows[0]} allows {caller.label} {action} on {resource}")
    if allows:
        return Decision(
            Verdict.UNKNOWN, f"{allows[0]} allows {action}, but a Deny might apply ({maybe_denies[0]})"
        )
    if maybe_allows:
        return Decision(Verdict.UNKNOWN, f"whether {caller.label} may {action} depends on {maybe_allows[0]}")
    return Decision(Verdict.NOT_ALLOWED, f"no statement allows {caller.label} {action} on {resource}")
