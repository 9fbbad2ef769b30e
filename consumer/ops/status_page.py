"""The /status page: one self-contained HTML document (inline style, no script, no external asset) rendered
from a StatusSnapshot and the daemon's readiness. Every value is escaped; nothing secret or buyer-related is
in a snapshot to begin with (identifiers, counts, reasons and times only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from consumer.ops.status import LedgerView, StatusSnapshot
from store.status import ReasonCount

# The page reloads itself this often (seconds): each reload asks for fresh ledger figures.
RELOAD_SECONDS = 30
QUEUE_STATES = ("visible", "in_flight", "delayed")

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d232a; background: #fff; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
p.meta { color: #58606a; margin: 0 0 .6em; }
table { border-collapse: collapse; margin: .2em 0 .6em; }
th, td { border: 1px solid #d4d8dd; padding: .25em .6em; text-align: left; }
th { background: #f2f4f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #176c2c; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; }
tr.bad td { background: #fdecea; } .empty { color: #58606a; font-style: italic; }
ul.problems { color: #b3261e; }
"""


def _text(value: Any) -> str:
    return escape(str(value), quote=True)


def _time(value: datetime | None) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86_400} d"


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    bad: Sequence[int] = (),
) -> str:
    """An HTML table; ``rows`` hold text (escaped here); ``bad``: indexes of rows to highlight."""
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        cells = "".join(
            f'<td class="n">{_text(cell)}</td>' if column in numeric else f"<td>{_text(cell)}</td>"
            for column, cell in enumerate(row)
        )
        body.append(f'<tr class="bad">{cells}</tr>' if index in bad else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _empty(text: str) -> str:
    return f'<p class="empty">{_text(text)}</p>'


def _queues(snapshot: StatusSnapshot) -> str:
    rows, bad = [], []
    for index, (name, depth) in enumerate(snapshot.queues.items()):
        label = "dead-letter queue" if name == "dead_letter" else f"{name} queue"
        if depth is None:
            rows.append([label, "?", "?", "?"])
            continue
        counts = depth.by_state()
        rows.append([label, *(str(counts[state]) for state in QUEUE_STATES)])
        if name == "dead_letter" and depth.visible > 0:
            bad.append(index)
    return _table(["queue", "visible", "in flight", "delayed"], rows, numeric=(1, 2, 3), bad=bad)


def _budget(snapshot: StatusSnapshot) -> str:
    if not snapshot.budget:
        return _empty("No SP-API call reserved a slot in the last 15 minutes.")
    rows = [
        [
            "application-wide" if key.partner == "*" else key.partner,
            key.operation,
            key.region,
            f"{key.rate:.3g}",
            str(key.burst),
            f"{key.used:.0%}",
            f"{key.wait:.1f}",
        ]
        for key in snapshot.budget
    ]
    waiting = [index for index, key in enumerate(snapshot.budget) if key.wait > 0]
    return _table(
        ["seller", "operation", "region", "rate /s", "burst", "burst used", "wait (s)"],
        rows,
        numeric=(3, 4, 5, 6),
        bad=waiting,
    )


def _reasons(reasons: Sequence[ReasonCount], now: datetime, none: str) -> str:
    if not reasons:
        return _empty(none)
    rows = [[r.reason, str(r.count), _time(r.last_at), _age(r.last_at, now)] for r in reasons]
    return _table(["reason", "count", "last", "ago"], rows, numeric=(1,))


def _ledger(view: LedgerView | None, now: datetime) -> str:
    if view is None:
        return "<h2>Notifications, dead letters, reconciliation</h2>" + _empty(
            "Not read yet: the database has not answered (see the problems above)."
        )
    parts = [
        f'<p class="meta">The tables below were read from the database at {_text(_time(view.taken_at))}.</p>'
    ]
    parts.append("<h2>Last notification per seller and type</h2>")
    if view.last_notifications:
        rows = [
            [n.seller, n.notification_type, _time(n.received_at), _age(n.received_at, now), str(n.count)]
            for n in view.last_notifications
        ]
        parts.append(_table(["seller", "type", "last received", "ago", "in the ledger"], rows, numeric=(4,)))
    else:
        parts.append(_empty("No notification in the ledger yet."))
    parts.append("<h2>Dead-lettered, last 24 hours</h2>")
    parts.append(_reasons(view.dead_letter_reasons, now, "No notification was dead-lettered."))
    if view.recent_dead_letters:
        rows = [[_time(d.at), d.notification_type, d.seller, d.reason] for d in view.recent_dead_letters]
        parts.append("<p>The newest (look at one with <code>spapi-notify dlq show ID</code>):</p>")
        parts.append(_table(["dead-lettered at", "type", "seller", "reason"], rows))
    parts.append("<h2>Transient failures, last 24 hours</h2>")
    parts.append(_reasons(view.failure_reasons, now, "No transient failure."))
    parts.append("<h2>Reconciliation</h2>")
    if view.reconcile:
        rows = [
            [
                r.seller,
                r.region,
                _time(r.high_water_mark),
                _age(r.high_water_mark, now),
                _time(r.last_run_at),
                r.last_outcome or "-",
                str(r.missed_recently),
            ]
            for r in view.reconcile
        ]
        missed = [index for index, r in enumerate(view.reconcile) if r.missed_recently > 0]
        headers = ["seller", "region", "swept up to", "lag", "last run", "outcome", "missed orders (24 h)"]
        parts.append(_table(headers, rows, numeric=(6,), bad=missed))
    else:
        parts.append(_empty("No sweep has run yet."))
    return "".join(parts)


def render_status(
    snapshot: StatusSnapshot | None, readiness: tuple[bool, Mapping[str, Any]], now: datetime
) -> str:
    """The page for ``snapshot`` (None: the daemon has not read anything yet) as of ``now`` (UTC)."""
    ready, detail = readiness
    checks = detail.get("checks", {})
    failing = ", ".join(name for name, ok in checks.items() if not ok)
    state = (
        '<span class="ok">ready</span>' if ready else f'<span class="bad">not ready</span> ({_text(failing)})'
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="refresh" content="{RELOAD_SECONDS}">',
        "<title>spapi-notify status</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>spapi-notify status</h1>",
    ]
    if snapshot is None:
        parts.append(
            f'<p class="meta">Daemon {state}. Nothing read yet: the page fills in once the daemon has '
            "read its queues and database.</p></body></html>"
        )
        return "".join(parts)
    parts.append(
        f'<p class="meta">Replica {_text(snapshot.replica)}, {state}. Snapshot of '
        f"{_text(_time(snapshot.taken_at))} ({_text(_age(snapshot.taken_at, now))} ago); "
        f"the page reloads every {RELOAD_SECONDS} s.</p>"
    )
    if snapshot.problems:
        items = "".join(f"<li>{_text(problem)}</li>" for problem in snapshot.problems)
        parts.append(f'<ul class="problems">{items}</ul>')
    parts.append("<h2>Queues</h2>")
    parts.append(_queues(snapshot))
    parts.append("<h2>Rate budget in use (shared by the fleet)</h2>")
    parts.append(_budget(snapshot))
    parts.append(_ledger(snapshot.ledger, now))
    parts.append("</body></html>")
    return "".join(parts)
