"""Progress of a reconcile run: sellers done, and the page the latest sweep reached, on a terminal."""

from __future__ import annotations

import shutil
from typing import Protocol, TextIO

from consumer.reconcile.result import SweepResult
from store.reconcile import RunCounts

BAR_WIDTH = 20


class Progress(Protocol):
    """Told of every committed page and every finished seller."""

    def page(self, seller_id: str, counts: RunCounts) -> None:
        """A page of ``seller_id``'s sweep is committed; ``counts`` so far."""

    def seller_done(self, result: SweepResult) -> None:
        """A seller's sweep ended."""


class NoProgress:
    """Reports nothing (the daemon, output that is not a terminal, --json)."""

    def page(self, seller_id: str, counts: RunCounts) -> None:
        """Nothing."""

    def seller_done(self, result: SweepResult) -> None:
        """Nothing."""


class TerminalProgress:
    """One line, redrawn in place: a bar of sellers done, then the latest page reached."""

    def __init__(self, sellers: int, stream: TextIO) -> None:
        self._sellers, self._stream = max(1, sellers), stream
        self._done = 0
        self._latest = ""

    def page(self, seller_id: str, counts: RunCounts) -> None:
        """Show the page ``seller_id`` reached."""
        self._latest = (
            f"{seller_id}: page {counts.pages}, {counts.orders_seen} seen, {counts.orders_missed} missed"
        )
        self._draw()

    def seller_done(self, result: SweepResult) -> None:
        """Count the seller as done."""
        self._done += 1
        self._latest = f"{result.seller_id}: {result.outcome}"
        self._draw()

    def close(self) -> None:
        """End the line, so that what follows starts on its own."""
        self._stream.write("\n")
        self._stream.flush()

    def _draw(self) -> None:
        filled = BAR_WIDTH * self._done // self._sellers
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"[{bar}] {self._done}/{self._sellers} sellers  {self._latest}"
        # Never wider than the terminal: a wrapped line could not be redrawn in place.
        width = shutil.get_terminal_size().columns - 1
        self._stream.write("\r" + line[:width].ljust(width))
        self._stream.flush()
