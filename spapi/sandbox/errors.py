"""The error bodies Amazon's services answer with: SP-API's ``errors`` list, LWA's OAuth errors, S3's XML."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

UNAUTHORIZED_MESSAGE = "Access to requested resource is denied."
DETAILS_INVALID = "The access token you provided is revoked, malformed or invalid."
DETAILS_EXPIRED = "The access token you provided has expired."
QUOTA_EXCEEDED_MESSAGE = "You exceeded your quota for the requested resource."
# The Listings Items API's message when the application-wide limit, not the account's, throttled the call.
APPLICATION_QUOTA_MESSAGE = "The frequency of requests was greater than what is allowed for the application."

# What SP-API sends for a status when nothing more specific is known (used by fault injection).
_DEFAULT_SPAPI_ERRORS: dict[int, tuple[str, str]] = {
    400: ("InvalidInput", "Request has missing or invalid parameters and cannot be parsed."),
    401: ("Unauthorized", UNAUTHORIZED_MESSAGE),
    403: ("Unauthorized", UNAUTHORIZED_MESSAGE),
    404: ("NotFound", "The resource specified does not exist."),
    409: ("Conflict", "The resource specified conflicts with the current state."),
    413: ("RequestEntityTooLarge", "The request size exceeded the maximum accepted size."),
    415: ("UnsupportedMediaType", "The request payload is in an unsupported format."),
    429: ("QuotaExceeded", QUOTA_EXCEEDED_MESSAGE),
    500: (
        "InternalFailure",
        "An unexpected condition occurred that prevented the server from fulfilling the request.",
    ),
    502: ("BadGateway", "The server received an invalid response from an upstream server."),
    503: ("ServiceUnavailable", "Temporary overloading or maintenance of the server."),
    504: ("GatewayTimeout", "The server did not receive a timely response from an upstream server."),
}

_DEFAULT_LWA_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "The request is missing a required parameter or is otherwise malformed."),
    401: ("invalid_client", "Client authentication failed"),
    429: ("slow_down", "The request rate is too high."),
    500: ("server_error", "The authorization server encountered an unexpected condition."),
    503: ("temporarily_unavailable", "The authorization server is temporarily unavailable."),
}


def spapi_error(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    """``{"errors": [{"code", "message", "details"?}]}``, the ErrorList of every SP-API model."""
    error: dict[str, str] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"errors": [error]}


def default_spapi_error(status: int) -> dict[str, Any]:
    """The SP-API error body for ``status`` when nothing more specific is known."""
    code, message = _DEFAULT_SPAPI_ERRORS.get(
        status, ("InternalFailure" if status >= 500 else "InvalidInput", f"HTTP {status}")
    )
    return spapi_error(code, message)


def invalid_input(message: str, details: str | None = None) -> dict[str, Any]:
    """An InvalidInput error body, what SP-API answers a bad request with."""
    return spapi_error("InvalidInput", message, details)


def lwa_error(error: str, description: str) -> dict[str, str]:
    """LWA's OAuth 2.0 error body (RFC 6749 section 5.2)."""
    return {"error": error, "error_description": description}


def default_lwa_error(status: int) -> dict[str, str]:
    """The LWA error body for ``status`` when nothing more specific is known."""
    error, description = _DEFAULT_LWA_ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request", f"HTTP {status}")
    )
    return lwa_error(error, description)


def s3_error_xml(code: str, message: str, request_id: str) -> bytes:
    """The XML body S3 answers a refused presigned GET with."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{escape(request_id)}</RequestId></Error>"
    ).encode()
