"""A feed's processing report: its format, and the counts of Amazon's JSON processing report.

JSON feeds (JSON_LISTINGS_FEED and the like) get a JSON processing report, documented by Amazon as
``{"header": {"sellerId", "version", "feedId"}, "issues": [...], "summary": {"errors", "warnings",
"messagesProcessed", "messagesAccepted", "messagesInvalid"}}``. XML feeds get an XML ``ProcessingReport``
and flat-file feeds a tab-separated text: those are stored as they are, not parsed.

The reader sees the document's pieces as they are stored and keeps at most ``limit`` bytes of it, so a
huge document still streams in bounded memory; a JSON report larger than that is stored without counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from spapi.models.feeds import ProcessingSummary

ReportFormat = Literal["json", "xml", "text"]
PARSE_LIMIT = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class ProcessingReport:
    """What was learned from a processing report: its format and, for a JSON report, its summary."""

    format: ReportFormat | None  # None: the document was empty
    summary: ProcessingSummary | None


class ProcessingReportReader:
    """Collects a processing report's pieces (up to ``limit`` bytes) and parses it once it is complete."""

    def __init__(self, limit: int = PARSE_LIMIT) -> None:
        self._limit = limit
        self._kept = bytearray()
        self._overflowed = False

    async def feed(self, piece: bytes) -> None:
        """Take the next piece of the document (as stored: decompressed)."""
        if self._overflowed:
            return
        if len(self._kept) + len(piece) > self._limit:
            # Only the start is kept, to tell the format; too big to parse for counts.
            self._overflowed = True
            self._kept += piece[: max(0, 1024 - len(self._kept))]
            return
        self._kept += piece

    def result(self) -> ProcessingReport:
        """The format and, for a JSON processing report with a summary, its counts."""
        start = bytes(self._kept[:1024]).removeprefix(_BOM).lstrip(_WHITESPACE)
        if not start:
            return ProcessingReport(None, None)
        if start.startswith(b"<"):
            return ProcessingReport("xml", None)
        if not start.startswith((b"{", b"[")):
            return ProcessingReport("text", None)
        if self._overflowed:
            return ProcessingReport("json", None)
        try:
            document = json.loads(bytes(self._kept).removeprefix(_BOM))
        except ValueError:
            return ProcessingReport("text", None)
        return ProcessingReport("json", _summary(document))


def _summary(document: object) -> ProcessingSummary | None:
    summary = document.get("summary") if isinstance(document, dict) else None
    if not isinstance(summary, dict):
        return None
    try:
        return ProcessingSummary.model_validate(summary)
    except ValidationError:
        return None
