"""How a plan and an apply read on a terminal: one line per action or failure, then a count."""

from __future__ import annotations

from collections.abc import Sequence

from spapi.models.notifications_api import ProcessingDirective
from subscriptions.actions import DestinationAction, SubscriptionAction
from subscriptions.directives import describe_directive, directive_key
from subscriptions.failures import Failure

_MARKS = {"create": "+", "keep": "=", "delete": "-", "replace": "~", "differs": "!", "extra": "?"}
_PRUNE_HINT = "  (not in the file: apply --prune deletes it)"


def _subscription_line(sub: SubscriptionAction) -> str:
    text = f"{_MARKS[sub.verb]} subscription {sub.verb:<7} {sub.seller_id} {sub.notification_type}"
    if sub.want is not None and sub.verb == "create":
        text += f" {sub.want.payload_version} -> {sub.want.destination}"
    if sub.existing is not None and sub.verb in ("delete", "extra"):
        text += f" ({sub.existing.subscription_id})"
    if sub.difference:
        text += f": {sub.difference}"
    if sub.verb == "differs":
        text += "  (apply --replace replaces it)"
    if sub.verb == "extra":
        text += _PRUNE_HINT
    directive = describe_directive(_directive(sub))
    if directive:
        text += f" [{directive}]"
    return text


def _directive(sub: SubscriptionAction) -> ProcessingDirective | None:
    if sub.want is not None:
        return sub.want.directive
    return sub.existing.processing_directive if sub.existing is not None else None


def _order(sub: SubscriptionAction) -> tuple[str, str, str]:
    return (sub.seller_id, sub.notification_type, directive_key(_directive(sub)))


def plan_lines(
    destinations: Sequence[DestinationAction],
    subscriptions: Sequence[SubscriptionAction],
    failures: Sequence[Failure],
) -> list[str]:
    """A plan as terminal lines: destination actions, subscription changes, failures, then the counts."""
    out: list[str] = []
    for action in destinations:
        hint = _PRUNE_HINT if action.verb == "extra" else ""
        out.append(f"{_MARKS[action.verb]} destination {action.verb:<7} {action.describe()}{hint}")
    for sub in sorted(subscriptions, key=_order):
        if sub.verb != "keep":
            out.append(_subscription_line(sub))
    out.extend(f"x failed {failure.describe()}" for failure in failures)

    def count(verb: str) -> int:
        return sum(1 for a in subscriptions if a.verb == verb)

    out.append(
        f"subscriptions: {count('create')} to create, {count('replace')} to replace, "
        f"{count('delete')} to delete, {count('keep')} unchanged"
        + (f", {count('differs')} differing" if count("differs") else "")
        + (f", {count('extra')} not in the file" if count("extra") else "")
        + (f"; {len(failures)} failed" if failures else "")
    )
    return out


def apply_lines(done: Sequence[str], failures: Sequence[Failure], next_steps: Sequence[str]) -> list[str]:
    """What apply did, its failures and the next steps, as terminal lines."""
    out = list(done)
    out.extend(f"x failed {f.describe()}" for f in failures)
    if not done and not failures:
        out.append("no changes: Amazon already holds the desired state")
    if next_steps:
        out.append("next steps:")
        out.extend(f"  {step}" for step in next_steps)
    return out
