"""Optional AWS Signature Version 4 for SP-API requests (service ``execute-api``).

Amazon stopped requiring SigV4 on SP-API in 2023, but applications registered with an IAM ARN may still sign.
Signing is botocore's SigV4Auth; credentials come from the standard AWS chain (env, profile, container or
instance role) or from an STS AssumeRole of the IAM role registered with the application, refreshed by
botocore before it expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, RefreshableCredentials

SERVICE = "execute-api"
# botocore computes the body hash itself; these headers are set by the transport after signing and must
# not be part of the signature.
_UNSIGNED_HEADERS = frozenset({"content-length", "connection", "accept-encoding", "user-agent", "expect"})


class SigV4Signer:
    """Signs SP-API requests (execute-api) with the AWS chain's credentials or an assumed role's."""

    def __init__(
        self,
        aws_region: str,
        *,
        role_arn: str | None = None,
        role_session_name: str = "spapi-notify",
        session: botocore.session.Session | None = None,
    ) -> None:
        self.aws_region = aws_region
        self._role_arn = role_arn
        self._role_session_name = role_session_name
        self._session = session or botocore.session.get_session()
        self._credentials: Credentials | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SigV4Signer(aws_region={self.aws_region!r}, role_arn={self._role_arn!r})"

    async def _current_credentials(self) -> Any:
        if self._credentials is None:
            async with self._lock:
                if self._credentials is None:
                    # The AWS chain and STS make blocking calls (IMDS, STS): keep them off the event loop.
                    self._credentials = await asyncio.to_thread(self._resolve)
        creds = self._credentials
        if isinstance(creds, RefreshableCredentials) and creds.refresh_needed():
            return await asyncio.to_thread(creds.get_frozen_credentials)
        return creds.get_frozen_credentials()

    def _resolve(self) -> Credentials:
        base = self._session.get_credentials()
        if self._role_arn is None:
            if base is None:
                raise RuntimeError(
                    "SigV4 signing is on (SPAPI_NOTIFY_SIGV4=true) but no AWS credentials were found in the "
                    "standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, container or "
                    "instance role)"
                )
            return base
        sts: Any = self._session.create_client("sts")

        def assume() -> dict[str, str]:
            response = sts.assume_role(
                RoleArn=self._role_arn, RoleSessionName=self._role_session_name, DurationSeconds=3600
            )
            creds = response["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        result: Credentials = RefreshableCredentials.create_from_metadata(
            metadata=assume(), refresh_using=assume, method="sts-assume-role"
        )
        return result

    async def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        """The headers that sign this exact request: Authorization, X-Amz-Date and (for temporary
        credentials) X-Amz-Security-Token. ``url`` is the encoded URL as it will be sent."""
        frozen = await self._current_credentials()
        signed = {k: v for k, v in headers.items() if k.lower() not in _UNSIGNED_HEADERS}
        aws_request = AWSRequest(method=method, url=url, data=body or b"", headers=signed)
        SigV4Auth(frozen, SERVICE, self.aws_region).add_auth(aws_request)
        added = {}
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = aws_request.headers.get(name)
            if value is not None:
                added[name] = value
        return added
