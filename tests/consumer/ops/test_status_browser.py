"""/status in a real browser: headless Chromium loads the page from a running daemon, its rendered text shows
the queues, sellers, reasons, budget and reconciliation and nothing secret, and its screenshot is a picture.

The README's picture (docs/status.png) is this test's screenshot:
``STATUS_SCREENSHOT=docs/status.png .venv/bin/pytest tests/consumer/ops/test_status_browser.py``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import create_engine
from tests.fixtures.browser import look_at
from tests.fixtures.daemons import daemon_settings, migrate_for_daemons, running
from tests.fixtures.paths import REPO
from tests.fixtures.polling import eventually
from tests.fixtures.queues import Queues
from tests.fixtures.status_world import NEVER_SHOWN, SHOWN, page_text, seed_status_world

WIDTH, HEIGHT = 1100, 1250
SCREENSHOT_ENV = "STATUS_SCREENSHOT"  # not SPAPI_NOTIFY_*: the tests clear those
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, the decompressed scanlines) of a PNG."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    offset, width, height, compressed = len(PNG_SIGNATURE), 0, 0, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            compressed += body
        offset += 12 + length
    return width, height, zlib.decompress(compressed)


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url, timeout=10)


async def test_headless_chromium_shows_the_status_page(
    queues: Queues, sqlite_url: str, tmp_path: Path
) -> None:
    engine: AsyncEngine = create_engine(sqlite_url)
    try:
        await migrate_for_daemons(engine)
        await seed_status_world(engine, queues)
    finally:
        await engine.dispose()
    async with running(daemon_settings(queues, sqlite_url)) as daemon:
        url = f"http://127.0.0.1:{daemon.http_port}/status"
        await eventually(lambda: _get(url.replace("/status", "/readyz")), lambda r: r.status_code == 200)
        # The browser runs in a thread: the daemon's event loop must keep answering while it loads the page.
        picture = tmp_path / "status.png"
        dom = await asyncio.to_thread(look_at, url, picture, WIDTH, HEIGHT)

    text = page_text(dom)
    assert text.startswith("spapi-notify status")
    for expected in (
        *SHOWN,
        "Queues",
        "Rate budget in use",
        "Last notification per seller and type",
        "Reconciliation",
    ):
        assert expected in text, expected
    assert re.search(r"dead-letter queue\s+2\s+0\s+0", text), text  # visible, in flight, delayed
    assert "100%" in text  # the seeded seller's getOrder burst is spent
    for secret in NEVER_SHOWN:
        assert secret not in dom, secret

    width, height, pixels = png_size_and_pixels(picture.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(set(pixels)) > 16, "the screenshot is blank"
    if target := os.environ.get(SCREENSHOT_ENV):
        (REPO / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, REPO / target)


def test_the_readme_shows_the_committed_screenshot() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "![" in readme
    assert "](docs/status.png)" in readme
    width, height, pixels = png_size_and_pixels((REPO / "docs" / "status.png").read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert len(set(pixels)) > 16
