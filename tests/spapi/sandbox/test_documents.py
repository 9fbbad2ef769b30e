"""Report documents: presigned URLs from getReportDocument, streaming, Range resumption, expiry."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState, gzip_stream
from tests.fixtures.clock import FakeClock
from tests.fixtures.sandbox_http import Tokens

TEXT = b"sku\tprice\n" + b"".join(b"SKU-%d\t%d.99\n" % (i, i) for i in range(20_000))
GZIPPED = gzip.compress(TEXT)


def document_url(http: httpx.Client, tokens: Tokens, document_id: str) -> str:
    response = http.get(f"/reports/2021-06-30/documents/{document_id}", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert isinstance(url, str)
    return url


def s3_error(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/xml"
    match = re.search(rb"<Error><Code>(\w+)</Code><Message>([^<]*)</Message>", response.content)
    assert match is not None, response.text
    return f"{match.group(1).decode()}: {match.group(2).decode()}"


def test_get_report_document_for_a_registered_document(
    http: httpx.Client, server: SandboxServer, state: SandboxState, tokens: Tokens
) -> None:
    state.add_document("doc-1", GZIPPED)
    response = http.get("/reports/2021-06-30/documents/doc-1", headers=Tokens.auth(tokens.seller))
    body = response.json()
    assert body["reportDocumentId"] == "doc-1"
    assert body["compressionAlgorithm"] == "GZIP"
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server.url}/_sandbox/documents/doc-1"
    query = parse_qs(url.query)
    assert re.fullmatch(r"\d{8}T\d{6}Z", query["X-Amz-Date"][0])
    assert query["X-Amz-Expires"] == ["300"]
    assert len(query["X-Amz-Signature"][0]) == 64


def test_plain_document_has_no_compression_key(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.add_document("doc-plain", b"a,b\n1,2\n", compression=None)
    body = http.get("/reports/2021-06-30/documents/doc-plain", headers=Tokens.auth(tokens.seller)).json()
    assert "compressionAlgorithm" not in body
    assert http.get(body["url"]).content == b"a,b\n1,2\n"


def test_unregistered_document_gets_the_model_example(http: httpx.Client, tokens: Tokens) -> None:
    response = http.get("/reports/2021-06-30/documents/other-doc", headers=Tokens.auth(tokens.seller))
    assert response.status_code == 200
    assert response.json()["reportDocumentId"] == "other-doc"


def test_download_needs_no_token_and_is_counted(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.add_document("doc-1", GZIPPED)
    url = document_url(http, tokens, "doc-1")
    response = http.get(url)  # no x-amz-access-token: the URL is the credential
    assert response.status_code == 200
    assert response.content == GZIPPED
    assert response.headers["content-length"] == str(len(GZIPPED))
    assert "content-encoding" not in response.headers  # stored compressed, served as bytes, as S3 does
    assert gzip.decompress(response.content) == TEXT
    assert state.document_downloads["doc-1"] == 1


@pytest.mark.parametrize(("header", "start", "stop"), [("bytes=1000-", 1000, None), ("bytes=10-19", 10, 20)])
def test_range(
    http: httpx.Client, state: SandboxState, tokens: Tokens, header: str, start: int, stop: int | None
) -> None:
    state.add_document("doc-1", GZIPPED)
    response = http.get(document_url(http, tokens, "doc-1"), headers={"Range": header})
    assert response.status_code == 206
    end = (stop or len(GZIPPED)) - 1
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(GZIPPED)}"
    assert response.content == GZIPPED[start:stop]


def test_range_past_the_end(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.add_document("doc-1", GZIPPED)
    response = http.get(document_url(http, tokens, "doc-1"), headers={"Range": f"bytes={len(GZIPPED)}-"})
    assert response.status_code == 416
    assert s3_error(response).startswith("InvalidRange")


def streamed(chunk_size: int = 5000) -> Iterator[bytes]:
    return gzip_stream(TEXT[i : i + chunk_size] for i in range(0, len(TEXT), chunk_size))


def test_streamed_document_and_range_on_it(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.add_document("doc-stream", streamed)
    url = document_url(http, tokens, "doc-stream")
    whole = http.get(url)
    assert whole.status_code == 200
    assert gzip.decompress(whole.content) == TEXT
    part = http.get(url, headers={"Range": "bytes=777-"})
    assert part.status_code == 206
    assert part.content == whole.content[777:]
    assert part.headers["content-range"] == f"bytes 777-{len(whole.content) - 1}/{len(whole.content)}"


def test_cut_transfer_resumes_with_range(http: httpx.Client, state: SandboxState, tokens: Tokens) -> None:
    state.add_document("doc-stream", streamed)
    state.break_document("doc-stream", after_bytes=10_000)
    url = document_url(http, tokens, "doc-stream")
    received = bytearray()

    def download() -> None:
        with http.stream("GET", url) as response:
            for chunk in response.iter_raw():
                received.extend(chunk)

    with pytest.raises(httpx.RemoteProtocolError):
        download()
    assert len(received) == 10_000
    rest = http.get(url, headers={"Range": f"bytes={len(received)}-"})
    assert rest.status_code == 206
    assert gzip.decompress(bytes(received) + rest.content) == TEXT
    assert state.document_downloads["doc-stream"] == 2


def test_expired_url(http: httpx.Client, state: SandboxState, tokens: Tokens, clock: FakeClock) -> None:
    state.add_document("doc-1", GZIPPED)
    url = document_url(http, tokens, "doc-1")
    clock.advance(299)
    assert http.get(url).status_code == 200
    clock.advance(1)
    response = http.get(url)
    assert response.status_code == 403
    assert s3_error(response) == "AccessDenied: Request has expired"
    assert state.document_downloads["doc-1"] == 1


def test_url_ttl_is_configurable(
    http: httpx.Client, state: SandboxState, tokens: Tokens, clock: FakeClock
) -> None:
    state.add_document("doc-1", GZIPPED)
    state.document_url_ttl = 30
    url = document_url(http, tokens, "doc-1")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["30"]
    clock.advance(30)
    assert http.get(url).status_code == 403


def test_unknown_document_and_bad_signature(
    http: httpx.Client, server: SandboxServer, state: SandboxState, tokens: Tokens
) -> None:
    missing = http.get(f"{server.url}/_sandbox/documents/nope?X-Amz-Signature=abc")
    assert missing.status_code == 404
    assert s3_error(missing).startswith("NoSuchKey")
    state.add_document("doc-1", GZIPPED)
    forged = document_url(http, tokens, "doc-1").rsplit("=", 1)[0] + "=" + "0" * 64
    response = http.get(forged)
    assert response.status_code == 403
    assert s3_error(response).startswith("SignatureDoesNotMatch")


def test_gzip_stream_is_incremental() -> None:
    consumed = 0

    def source() -> Iterator[bytes]:
        nonlocal consumed
        for _ in range(1000):
            consumed += 1
            yield bytes(range(256)) * 256  # 64 KiB that compresses poorly enough to flush output

    stream = gzip_stream(source(), level=1)
    next(stream)
    assert consumed < 1000
    rest = b"".join(stream)
    assert consumed == 1000
    assert rest


def test_gzip_stream_round_trip() -> None:
    assert (
        gzip.decompress(b"".join(gzip_stream([b"a" * 10, b"", b"b" * 100_000]))) == b"a" * 10 + b"b" * 100_000
    )
    assert gzip.decompress(b"".join(gzip_stream([]))) == b""


def test_large_document_is_served_in_bounded_memory(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    megabyte = bytes(1 << 20)
    total = 64 * len(megabyte)
    state.add_document("doc-big", lambda: gzip_stream((megabyte for _ in range(64)), level=1))
    url = document_url(http, tokens, "doc-big")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size = 0
    tracemalloc.start()
    try:
        with http.stream("GET", url) as response:
            for chunk in response.iter_raw():
                data = chunk
                while data:
                    size += len(inflater.decompress(data, 1 << 20))
                    data = inflater.unconsumed_tail
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size + len(inflater.flush()) == total
    assert peak < total // 4


def test_add_document_checks_its_input(state: SandboxState) -> None:
    with pytest.raises(ValueError, match="GZIP"):
        state.add_document("doc", b"not gzip")
    with pytest.raises(ValueError, match="compression"):
        state.add_document("doc", b"x", compression="ZIP")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        state.add_document("doc", "text", compression=None)  # type: ignore[arg-type]


def test_head_gives_the_size_without_the_body(
    http: httpx.Client, state: SandboxState, tokens: Tokens
) -> None:
    state.add_document("doc-1", GZIPPED)
    response = http.head(document_url(http, tokens, "doc-1"))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(GZIPPED))
    assert response.content == b""
    assert http.get(document_url(http, tokens, "doc-1")).content == GZIPPED
