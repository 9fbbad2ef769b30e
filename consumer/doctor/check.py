"""One check's result: what it looked at, pass/fail/skip/error, and on failure the cause and the exact fix.

``pass``: the check looked and found it right. ``fail``: it found a cause of lost notifications (``fix`` says
what to do). ``skip``: the check does not apply here (no EventBridge destination, no SSE-KMS key...).
``error``: it could not check (a call failed, the emulator lacks an API, a policy condition it cannot
evaluate): ``detail`` says why, and nothing is claimed either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """A check's outcome."""

    PASS = "pass"  # noqa: S105 (a check status, not a password)
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True)
class Check:
    """The result of one check; ``subject`` names the seller, type, queue or destination it is about."""

    name: str
    status: Status
    detail: str
    fix: str | None = None
    subject: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The check as one JSON object (the ``doctor --json`` line)."""
        return {
            "name": self.name,
            "subject": self.subject,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
        }


def passed(name: str, detail: str, *, subject: str | None = None) -> Check:
    """The check found it right."""
    return Check(name, Status.PASS, detail, None, subject)


def failed(name: str, detail: str, fix: str, *, subject: str | None = None) -> Check:
    """The check found a cause; ``fix`` is the command or statement that removes it."""
    return Check(name, Status.FAIL, detail, fix, subject)


def skipped(name: str, detail: str, *, subject: str | None = None) -> Check:
    """The check does not apply here; ``detail`` says why."""
    return Check(name, Status.SKIP, detail, None, subject)


def could_not(name: str, detail: str, fix: str | None = None, *, subject: str | None = None) -> Check:
    """The check could not be made; ``detail`` says why (and ``fix`` how to make it possible, if known)."""
    return Check(name, Status.ERROR, detail, fix, subject)


def exit_code(checks: Sequence[Check]) -> int:
    """0 when nothing failed or went unchecked; 1 when a check found a problem; 2 when some could not "
    "check."""
    if any(c.status is Status.FAIL for c in checks):
        return 1
    if any(c.status is Status.ERROR for c in checks):
        return 2
    return 0


_MARKS = {Status.PASS: "ok  ", Status.FAIL: "FAIL", Status.SKIP: "skip", Status.ERROR: "??  "}


def render(checks: Sequence[Check]) -> list[str]:
    """The checks as terminal lines (the fix indented under a failure), then one summary line."""
    lines = []
    for check in checks:
        about = f" [{check.subject}]" if check.subject else ""
        lines.append(f"{_MARKS[check.status]} {check.name}{about}: {check.detail}")
        if check.fix:
            lines.extend(
                f"       {line}"
                for line in ["fix: " + check.fix.splitlines()[0], *check.fix.splitlines()[1:]]
            )
    lines.append(summary(checks))
    return lines


def summary(checks: Sequence[Check]) -> str:
    """``doctor: N passed, N failed, N skipped, N could not check``."""
    count = {status: sum(1 for c in checks if c.status is status) for status in Status}
    return (
        f"doctor: {count[Status.PASS]} passed, {count[Status.FAIL]} failed, {count[Status.SKIP]} skipped, "
        f"{count[Status.ERROR]} could not check"
    )
