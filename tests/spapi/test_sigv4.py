"""Optional SigV4: off by default; when on, the signature verifies with botocore's own algorithm."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from spapi import SellingPartner, SpApiClient
from spapi.sandbox import SandboxServer
from spapi.sandbox.state import RecordedRequest
from tests.fixtures.spapi_config import make_config

KEY_ID = "AKIAEXAMPLESIGV4TEST"
SECRET_KEY = "aws-secret-DO-NOT-LOG-5b2c"


def expected_signature(request: RecordedRequest, credentials: Credentials, region: str) -> str:
    headers = {
        k: v
        for k, v in request.headers.items()
        if k not in {"authorization", "content-length", "connection", "accept-encoding", "user-agent"}
    }
    aws_request = AWSRequest(method=request.method, url=request.url, data=request.body, headers=headers)
    aws_request.context["timestamp"] = request.headers["x-amz-date"]
    auth = SigV4Auth(credentials, "execute-api", region)
    canonical = auth.canonical_request(aws_request)
    return str(auth.signature(auth.string_to_sign(aws_request, canonical), aws_request))


@pytest.fixture
def aws_keys(monkeypatch: pytest.MonkeyPatch) -> Credentials:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    return Credentials(KEY_ID, SECRET_KEY)


async def test_unsigned_by_default(
    client: SpApiClient, seller: SellingPartner, sandbox: SandboxServer
) -> None:
    await client.orders.get_order(seller, "171-9876543-2109876")
    assert "authorization" not in sandbox.state.requests[-1].headers
    assert client.signer is None


@pytest.mark.parametrize("with_body", [False, True])
async def test_signature_verifies(
    with_body: bool, sandbox: SandboxServer, seller: SellingPartner, aws_keys: Credentials
) -> None:
    async with SpApiClient(make_config(sandbox, sigv4=True)) as client:
        if with_body:
            await client.notifications.create_subscription(
                seller, "ORDER_CHANGE", payload_version="1.0", destination_id="d-1"
            )
        else:
            await client.listings.get_listings_item(
                seller, seller_id=seller.id, sku="A/B 1", marketplace_ids=["ATVPDKIKX0DER"]
            )
    request = sandbox.state.requests[-1]
    authorization = request.headers["authorization"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
    assert "/us-east-1/execute-api/aws4_request" in authorization
    assert "x-amz-access-token" in authorization.split("SignedHeaders=")[1]
    assert f"Signature={expected_signature(request, aws_keys, 'us-east-1')}" in authorization
    assert SECRET_KEY not in str(request.headers)


async def test_signing_region_follows_the_endpoint(sandbox: SandboxServer) -> None:
    config = make_config(sandbox, sigv4=True, region="eu")
    assert config.aws_region == "eu-west-1"
    async with SpApiClient(config) as client:
        assert client.signer is not None
        assert client.signer.aws_region == "eu-west-1"


async def test_assumed_role_credentials(
    sandbox: SandboxServer, seller: SellingPartner, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = "arn:aws:iam::123456789012:role/spapi-notify-signer"
    async with SpApiClient(make_config(sandbox, sigv4=True, sigv4_role_arn=role)) as client:
        await client.orders.get_order(seller, "171-9876543-2109876")
        assert client.signer is not None
        frozen = await client.signer._current_credentials()
    request = sandbox.state.requests[-1]
    assert frozen.access_key != "testing"  # came from STS, not the base chain
    assert request.headers["x-amz-security-token"] == frozen.token
    creds = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
    assert f"Signature={expected_signature(request, creds, 'us-east-1')}" in request.headers["authorization"]


async def test_missing_aws_credentials_is_a_clear_error(
    sandbox: SandboxServer, seller: SellingPartner, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    async with SpApiClient(make_config(sandbox, sigv4=True)) as client:
        with pytest.raises(RuntimeError, match="no AWS credentials"):
            await client.orders.get_order(seller, "171-9876543-2109876")
