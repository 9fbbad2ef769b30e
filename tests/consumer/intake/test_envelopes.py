"""Finding the SP-API notification in an SQS message body: raw, EventBridge, SNS, and what is rejected."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumer.intake.unwrap import SPAPI_EVENT_SOURCE, Unwrapped, unwrap
from handlers.errors import PermanentError, Reason
from spapi.model_catalog import NOTIFICATION_SCHEMAS_DIR
from spapi.notifications import parse_notification

SOURCE = f"{SPAPI_EVENT_SOURCE}/amzn1.sellerapps.app.f108f511-eeac-46a6-b125-bcb752069ed0"
EVENT_ID = "5b2f8a34-1c6e-7b0a-2d4e-9a8b7c6d5e4f"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:spapi-notifications"
SNS_MESSAGE_ID = "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
BUYER = "Jane Q. Buyer-7731"


def _example(name: str, index: int = 0) -> dict[str, Any]:
    schema = json.loads((NOTIFICATION_SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    example: dict[str, Any] = schema["examples"][index]
    return example


ORDER_CHANGE = _example("OrderChangeNotification.json")  # PascalCase
REPORT = _example("ReportProcessingFinishedNotification.json")  # camelCase


def _eventbridge(
    detail: object, detail_type: object = "ORDER_CHANGE", source: object = SOURCE
) -> dict[str, Any]:
    """An event as an EventBridge rule delivers it to SQS."""
    return {
        "version": "0",
        "id": EVENT_ID,
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2020-01-11T00:09:53Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def _sns(message: object) -> dict[str, Any]:
    """A notification as SNS delivers it to SQS without raw message delivery."""
    return {
        "Type": "Notification",
        "MessageId": SNS_MESSAGE_ID,
        "TopicArn": TOPIC_ARN,
        "Message": message,
        "Timestamp": "2020-01-11T00:09:54.000Z",
        "SignatureVersion": "1",
        "Signature": "c2lnbmF0dXJl",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


def _without_type(notification: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in notification.items() if k not in ("NotificationType", "notificationType")}


def _rejected(body: str, reason: Reason) -> str:
    with pytest.raises(PermanentError) as raised:
        unwrap(body)
    assert raised.value.reason is reason
    assert raised.value.__cause__ is None
    return raised.value.message


# --- what is accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize("notification", [ORDER_CHANGE, REPORT], ids=["pascal", "camel"])
def test_raw_notification(notification: dict[str, Any]) -> None:
    unwrapped = unwrap(json.dumps(notification))

    assert unwrapped == Unwrapped(kind="sqs", notification=notification, event_source=None, event_id=None)
    assert unwrapped.wrappers == ()


@pytest.mark.parametrize("detail_as_string", [False, True], ids=["detail-object", "detail-string"])
@pytest.mark.parametrize(
    ("notification", "detail_type"),
    [(ORDER_CHANGE, "ORDER_CHANGE"), (REPORT, "REPORT_PROCESSING_FINISHED")],
    ids=["pascal", "camel"],
)
def test_eventbridge_event(notification: dict[str, Any], detail_type: str, detail_as_string: bool) -> None:
    detail = json.dumps(notification) if detail_as_string else notification

    unwrapped = unwrap(json.dumps(_eventbridge(detail, detail_type)))

    assert unwrapped.kind == "eventbridge"
    assert unwrapped.wrappers == ("eventbridge",)
    assert unwrapped.notification == notification
    assert unwrapped.event_source == SOURCE
    assert unwrapped.event_id == EVENT_ID


@pytest.mark.parametrize(
    ("notification", "detail_type", "type_key"),
    [
        (ORDER_CHANGE, "ORDER_CHANGE", "NotificationType"),
        (REPORT, "REPORT_PROCESSING_FINISHED", "notificationType"),
    ],
    ids=["pascal", "camel"],
)
def test_eventbridge_detail_type_supplies_a_missing_type_in_the_details_case(
    notification: dict[str, Any], detail_type: str, type_key: str
) -> None:
    detail = _without_type(notification)

    unwrapped = unwrap(json.dumps(_eventbridge(detail, detail_type)))

    assert unwrapped.notification == {**detail, type_key: detail_type}
    assert parse_notification(unwrapped.notification).notification_type == detail_type


def test_eventbridge_detail_type_of_the_detail_wins_over_detail_type() -> None:
    unwrapped = unwrap(json.dumps(_eventbridge(ORDER_CHANGE, detail_type="SOMETHING_ELSE")))

    assert unwrapped.notification["NotificationType"] == "ORDER_CHANGE"
    assert "notificationType" not in unwrapped.notification


@pytest.mark.parametrize("detail_type", [None, "", 7])
def test_eventbridge_unusable_detail_type_is_not_copied(detail_type: object) -> None:
    detail = _without_type(ORDER_CHANGE)

    unwrapped = unwrap(json.dumps(_eventbridge(detail, detail_type)))

    assert unwrapped.notification == detail


def test_eventbridge_source_without_application_suffix_is_accepted() -> None:
    assert unwrap(json.dumps(_eventbridge(ORDER_CHANGE, source=SPAPI_EVENT_SOURCE))).event_source == (
        SPAPI_EVENT_SOURCE
    )


@pytest.mark.parametrize("notification", [ORDER_CHANGE, REPORT], ids=["pascal", "camel"])
def test_sns_wrapped_raw_notification(notification: dict[str, Any]) -> None:
    unwrapped = unwrap(json.dumps(_sns(json.dumps(notification))))

    assert unwrapped.kind == "sns"
    assert unwrapped.wrappers == ("sns",)
    assert unwrapped.notification == notification
    assert unwrapped.event_source == TOPIC_ARN
    assert unwrapped.event_id == SNS_MESSAGE_ID


@pytest.mark.parametrize("detail_as_string", [False, True], ids=["detail-object", "detail-string"])
def test_sns_wrapped_eventbridge_event(detail_as_string: bool) -> None:
    detail = json.dumps(ORDER_CHANGE) if detail_as_string else ORDER_CHANGE

    unwrapped = unwrap(json.dumps(_sns(json.dumps(_eventbridge(detail)))))

    assert unwrapped.kind == "sns"
    assert unwrapped.wrappers == ("sns", "eventbridge")
    assert unwrapped.notification == ORDER_CHANGE
    assert unwrapped.event_source == SOURCE
    assert unwrapped.event_id == EVENT_ID


def test_unwrapped_notification_parses() -> None:
    body = json.dumps(_sns(json.dumps(_eventbridge(json.dumps(_without_type(ORDER_CHANGE))))))

    notification = parse_notification(unwrap(body).notification)

    assert notification.notification_type == "ORDER_CHANGE"
    assert notification.notification_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    assert notification.selling_partner_id == "A3TH9S8BH6GOGM"


def test_unwrapped_repr_leaves_out_the_notification() -> None:
    notification = {**ORDER_CHANGE, "Payload": {"OrderChangeNotification": {"BuyerName": BUYER}}}

    assert BUYER not in repr(unwrap(json.dumps(notification)))


@pytest.mark.parametrize(
    ("kind", "wrappers", "expected"),
    [
        ("sqs", (), ()),
        ("eventbridge", (), ("eventbridge",)),
        ("sns", (), ("sns",)),
        ("sns", ("sns", "eventbridge"), ("sns", "eventbridge")),
    ],
)
def test_unwrapped_wrappers_default_to_kind(kind: Any, wrappers: Any, expected: tuple[str, ...]) -> None:
    assert Unwrapped(kind=kind, notification={}, wrappers=wrappers).wrappers == expected


@pytest.mark.parametrize(("kind", "wrappers"), [("sqs", ("sns",)), ("sns", ("eventbridge", "sns"))])
def test_unwrapped_rejects_inconsistent_wrappers(kind: Any, wrappers: Any) -> None:
    with pytest.raises(ValueError, match="not the outermost"):
        Unwrapped(kind=kind, notification={}, wrappers=wrappers)


# --- what is rejected -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "message body is not valid JSON: Expecting value at line 1 column 1 (char 0)"),
        (
            '{"NotificationType": "ORDER_CHANGE", "BuyerName": "Jane Q. Buyer-7731"',
            "message body is not valid JSON: Expecting ',' delimiter at line 1 column 71 (char 70)",
        ),
        (
            '{"NotificationType": "ORDER_CHANGE",\n "Payload": {"BuyerName": Jane Q. Buyer-7731}}',
            "message body is not valid JSON: Expecting value at line 2 column 27 (char 63)",
        ),
        ("Jane Q. Buyer-7731", "message body is not valid JSON: Expecting value at line 1 column 1 (char 0)"),
        ("[" * 100_000, "message body is JSON nested too deeply to decode"),
    ],
    ids=["empty", "truncated", "bare-word", "plain-text", "deep-nesting"],
)
def test_malformed_json(body: str, expected: str) -> None:
    message = _rejected(body, Reason.MALFORMED_JSON)

    assert message == expected
    assert BUYER not in message


@pytest.mark.parametrize(
    ("value", "json_type"),
    [
        ([ORDER_CHANGE], "array"),
        (42, "number"),
        ("ORDER_CHANGE", "string"),
        (None, "null"),
        (True, "boolean"),
    ],
)
def test_json_that_is_not_an_object(value: object, json_type: str) -> None:
    message = _rejected(json.dumps(value), Reason.MALFORMED_JSON)

    assert message == f"message body is a JSON {json_type}, not an object"


def test_malformed_eventbridge_detail_string() -> None:
    detail = json.dumps(ORDER_CHANGE)[:-1]

    message = _rejected(json.dumps(_eventbridge(detail)), Reason.MALFORMED_JSON)

    assert message.startswith("EventBridge detail is not valid JSON: Expecting ")
    assert f"(char {len(detail)})" in message


@pytest.mark.parametrize(
    ("detail", "json_type"),
    [([ORDER_CHANGE], "array"), (42, "number"), (None, "null"), ("[1, 2]", "array"), ('"text"', "string")],
)
def test_eventbridge_detail_that_is_not_an_object(detail: object, json_type: str) -> None:
    message = _rejected(json.dumps(_eventbridge(detail)), Reason.MALFORMED_JSON)

    assert message == f"EventBridge detail is a JSON {json_type}, not an object"


def test_malformed_sns_message() -> None:
    message = _rejected(json.dumps(_sns('{"NotificationType": "ORDER_CHANGE",')), Reason.MALFORMED_JSON)

    assert message == "SNS Message is not valid JSON: Expecting property name enclosed in double quotes " + (
        "at line 1 column 37 (char 36)"
    )


def test_malformed_detail_inside_sns() -> None:
    body = json.dumps(_sns(json.dumps(_eventbridge("{not json"))))

    assert _rejected(body, Reason.MALFORMED_JSON).startswith("EventBridge detail is not valid JSON: ")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("[]", "SNS Message is a JSON array, not an object"),
        ("3", "SNS Message is a JSON number, not an object"),
    ],
)
def test_sns_message_that_is_not_an_object(message: str, expected: str) -> None:
    assert _rejected(json.dumps(_sns(message)), Reason.MALFORMED_JSON) == expected


@pytest.mark.parametrize(
    "source",
    [
        "aws.s3",
        "aws.partner/example.com/some-app",
        # A look-alike: the prefix must be followed by "/" or nothing.
        "aws.partner/sellingpartnerapi.amazon.com.example.net/app",
        "",
    ],
)
def test_foreign_event_source(source: str) -> None:
    message = _rejected(json.dumps(_eventbridge(ORDER_CHANGE, source=source)), Reason.FOREIGN_EVENT_SOURCE)

    assert message == (
        f"EventBridge source {source!r} is not an SP-API event source "
        "(aws.partner/sellingpartnerapi.amazon.com/...)"
    )


@pytest.mark.parametrize(("source", "json_type"), [(None, "null"), (["aws.partner"], "array")])
def test_event_source_that_is_not_a_string(source: object, json_type: str) -> None:
    message = _rejected(json.dumps(_eventbridge(ORDER_CHANGE, source=source)), Reason.FOREIGN_EVENT_SOURCE)

    assert message == f"EventBridge source is a JSON {json_type}, not an SP-API partner event source"


def test_foreign_source_is_checked_before_the_detail_is_decoded() -> None:
    body = json.dumps(_eventbridge("{not json", source="aws.ec2"))

    assert _rejected(body, Reason.FOREIGN_EVENT_SOURCE).startswith("EventBridge source 'aws.ec2' ")


def test_foreign_source_inside_sns() -> None:
    body = json.dumps(_sns(json.dumps(_eventbridge(ORDER_CHANGE, source="aws.s3"))))

    assert _rejected(body, Reason.FOREIGN_EVENT_SOURCE).startswith("EventBridge source 'aws.s3' ")


def test_long_foreign_source_is_clipped() -> None:
    message = _rejected(
        json.dumps(_eventbridge(ORDER_CHANGE, source="x" * 5000)), Reason.FOREIGN_EVENT_SOURCE
    )

    assert len(message) < 300


PREFIX = "message body is not an SP-API notification, EventBridge event or SNS notification: it is "


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, "an empty JSON object"),
        (
            {"hello": BUYER, "Records": [{"eventSource": "aws:s3"}]},
            'an object with keys ["hello", "Records"]',
        ),
        # EventBridge without detail-type, and SNS without a TopicArn, match no rule.
        (
            {k: v for k, v in _eventbridge(ORDER_CHANGE).items() if k != "detail-type"},
            'an object with keys ["version", "id", "source", "account", "time", "region", "resources", '
            '"detail"]',
        ),
        (
            {"Type": "Notification", "Message": json.dumps(ORDER_CHANGE)},
            'an object with keys ["Type", "Message"]',
        ),
        (
            {"Type": "SubscriptionConfirmation", "TopicArn": TOPIC_ARN, "Message": "You have chosen..."},
            'an object with keys ["Type", "TopicArn", "Message"]',
        ),
        (
            {f"key{i}": i for i in range(25)},
            "an object with keys [" + ", ".join(f'"key{i}"' for i in range(10)) + "] and 15 more",
        ),
        ({"k" * 100: 1}, 'an object with keys ["' + "k" * 39 + '\\u2026"]'),
    ],
    ids=[
        "empty",
        "other",
        "eventbridge-without-detail-type",
        "sns-without-topic",
        "sns-confirmation",
        "many",
        "long",
    ],
)
def test_unknown_envelope(value: dict[str, Any], expected: str) -> None:
    message = _rejected(json.dumps(value), Reason.UNKNOWN_ENVELOPE)

    assert message == PREFIX + expected
    assert BUYER not in message


def test_sns_message_must_be_a_string() -> None:
    message = _rejected(json.dumps(_sns(ORDER_CHANGE)), Reason.UNKNOWN_ENVELOPE)

    assert message == "SNS notification's Message is a JSON object, not a string"


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        (_sns(json.dumps(ORDER_CHANGE)), 'an object with keys ["Type", "MessageId", "TopicArn", "Message", '),
        ({"BuyerName": BUYER}, 'an object with keys ["BuyerName"]'),
    ],
    ids=["sns-in-sns", "other"],
)
def test_sns_message_must_be_a_notification_or_an_eventbridge_event(
    inner: dict[str, Any], expected: str
) -> None:
    message = _rejected(json.dumps(_sns(json.dumps(inner))), Reason.UNKNOWN_ENVELOPE)

    assert message.startswith(
        "SNS Message is neither an SP-API notification nor an EventBridge event: it is " + expected
    )
    assert BUYER not in message
