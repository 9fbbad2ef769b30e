"""The sandbox's stateful Notifications API, over HTTP: what the manager's tests rely on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from spapi.sandbox import SandboxServer, SandboxState
from tests.fixtures.clock import FakeClock
from tests.fixtures.spapi_config import CLIENT_ID, CLIENT_SECRET
from tests.fixtures.subscription_world import QUEUE_ARN

SELLERS = {"Atzr|sandbox-a": "A1SANDBOXA", "Atzr|sandbox-b": "A1SANDBOXB"}


@pytest.fixture
def http(sandbox: SandboxServer, sandbox_state: SandboxState) -> Iterator[httpx.Client]:
    for token, seller in SELLERS.items():
        sandbox_state.add_seller(token, seller)
    with httpx.Client(base_url=sandbox.url, timeout=5.0) as client:
        yield client


def token(http: httpx.Client, server: SandboxServer, refresh: str | None = None) -> dict[str, str]:
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    if refresh is None:
        form.update(grant_type="client_credentials", scope="sellingpartnerapi::notifications")
    else:
        form.update(grant_type="refresh_token", refresh_token=refresh)
    response = http.post(server.lwa_url, data=form)
    assert response.status_code == 200, response.text
    return {"x-amz-access-token": response.json()["access_token"]}


def test_destinations_are_stateful_with_409_on_duplicates(http: httpx.Client, sandbox: SandboxServer) -> None:
    grantless = token(http, sandbox)
    body = {"name": "main", "resourceSpecification": {"sqs": {"arn": QUEUE_ARN}}}
    created = http.post("/notifications/v1/destinations", json=body, headers=grantless)
    assert created.status_code == 200
    destination_id = created.json()["payload"]["destinationId"]
    again = http.post("/notifications/v1/destinations", json={**body, "name": "other"}, headers=grantless)
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "Conflict"

    bridge = {"eventBridge": {"accountId": "123456789012", "region": "us-east-1"}}
    made = http.post(
        "/notifications/v1/destinations",
        json={"name": "bus", "resourceSpecification": bridge},
        headers=grantless,
    )
    assert made.json()["payload"]["resource"]["eventBridge"]["name"] == (
        "aws.partner/sellingpartnerapi.amazon.com/123456789012/amzn1.sp.solution.sandbox"
    )
    listed = http.get("/notifications/v1/destinations", headers=grantless).json()["payload"]
    assert [d["name"] for d in listed] == ["main", "bus"]
    assert (
        http.delete(f"/notifications/v1/destinations/{destination_id}", headers=grantless).status_code == 200
    )
    missing = http.get(f"/notifications/v1/destinations/{destination_id}", headers=grantless)
    assert missing.status_code == 404


def test_one_subscription_per_seller_and_type(http: httpx.Client, sandbox: SandboxServer) -> None:
    grantless = token(http, sandbox)
    a, b = (token(http, sandbox, refresh) for refresh in SELLERS)
    destination = http.post(
        "/notifications/v1/destinations",
        json={"name": "main", "resourceSpecification": {"sqs": {"arn": QUEUE_ARN}}},
        headers=grantless,
    ).json()["payload"]["destinationId"]
    path = "/notifications/v1/subscriptions/ORDER_CHANGE"
    body = {"payloadVersion": "1.0", "destinationId": destination}

    assert http.get(path, headers=a).status_code == 404
    created = http.post(path, json=body, headers=a)
    assert created.status_code == 200
    subscription_id = created.json()["payload"]["subscriptionId"]
    assert http.post(path, json=body, headers=a).status_code == 409
    assert http.post(path, json=body, headers=b).status_code == 200
    assert http.get(path, headers=a).json()["payload"]["subscriptionId"] == subscription_id
    assert http.get(path, params={"payloadVersion": "2.0"}, headers=a).status_code == 404
    unknown = http.post(
        path.replace("ORDER_CHANGE", "ANY_OFFER_CHANGED"), json={**body, "destinationId": "x"}, headers=a
    )
    assert unknown.status_code == 400

    by_id = f"{path}/{subscription_id}"
    assert http.get(by_id, headers=grantless).status_code == 200
    assert http.get(by_id, headers=b).status_code == 404  # another seller's subscription
    assert http.delete(by_id, headers=a).status_code == 200
    assert http.get(path, headers=a).status_code == 404


def test_seller_calls_are_throttled_per_seller(
    http: httpx.Client, sandbox: SandboxServer, sandbox_state: SandboxState, clock: FakeClock
) -> None:
    a, b = (token(http, sandbox, refresh) for refresh in SELLERS)
    path = "/notifications/v1/subscriptions/ORDER_CHANGE"
    assert [http.get(path, headers=a).status_code for _ in range(6)] == [404] * 5 + [429]
    assert http.get(path, headers=b).status_code == 404
    clock.advance(1)
    assert http.get(path, headers=a).status_code == 404
    assert sandbox_state.throttled["notifications.getSubscription"] == 1


def test_several_subscriptions_per_type_when_their_directives_differ(
    http: httpx.Client, sandbox: SandboxServer
) -> None:
    grantless = token(http, sandbox)
    a = token(http, sandbox, "Atzr|sandbox-a")
    destination = http.post(
        "/notifications/v1/destinations",
        json={"name": "main", "resourceSpecification": {"sqs": {"arn": QUEUE_ARN}}},
        headers=grantless,
    ).json()["payload"]["destinationId"]
    path = "/notifications/v1/subscriptions/ORDER_CHANGE"
    plain = {"payloadVersion": "1.0", "destinationId": destination}
    shipped = {**plain, "processingDirective": {"filterExpression": "status == 'Shipped'"}}
    cancelled = {**plain, "processingDirective": {"filterExpression": "status == 'Canceled'"}}
    assert [http.post(path, json=body, headers=a).status_code for body in (plain, shipped, cancelled)] == [
        200
    ] * 3
    duplicate = http.post(path, json={**shipped, "payloadVersion": "2.0"}, headers=a)
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["code"] == "Conflict"

    listed = http.get(
        "/notifications/v1/subscriptions", params={"notificationTypes": "ORDER_CHANGE"}, headers=a
    )
    bodies = listed.json()["payload"]["subscriptions"]
    assert [b.get("processingDirective") for b in bodies] == [
        None,
        shipped["processingDirective"],
        cancelled["processingDirective"],
    ]
    assert "nextToken" not in listed.json()["payload"]
    # The model: one type per request, pageSize 30 to 100.
    two = {"notificationTypes": "ORDER_CHANGE,ANY_OFFER_CHANGED"}
    assert http.get("/notifications/v1/subscriptions", params=two, headers=a).status_code == 400
    small = {"notificationTypes": "ORDER_CHANGE", "pageSize": "10"}
    assert http.get("/notifications/v1/subscriptions", params=small, headers=a).status_code == 400


def test_get_subscriptions_pages_with_an_opaque_next_token(
    http: httpx.Client, sandbox: SandboxServer, sandbox_state: SandboxState
) -> None:
    held = [
        sandbox_state.notifications.add_subscription(
            "A1SANDBOXA",
            "ORDER_CHANGE",
            payload_version="1.0",
            destination_id="d",
            processing_directive={"filterExpression": f"n == {n}"},
        ).subscription_id
        for n in range(65)
    ]
    sandbox_state.notifications.add_subscription(
        "A1SANDBOXB", "ORDER_CHANGE", payload_version="1.0", destination_id="d"
    )
    a, b = (token(http, sandbox, refresh) for refresh in SELLERS)
    url = "/notifications/v1/subscriptions"
    query: dict[str, str] = {"notificationTypes": "ORDER_CHANGE"}
    seen: list[str] = []
    tokens: list[str] = []
    while True:
        page = http.get(url, params=query, headers=a).json()["payload"]
        seen += [s["subscriptionId"] for s in page["subscriptions"]]
        if "nextToken" not in page:
            break
        tokens.append(page["nextToken"])
        query = {"notificationTypes": "ORDER_CHANGE", "nextToken": page["nextToken"]}
    assert seen == held  # 30 + 30 + 5, in order, each once
    assert len(tokens) == 2
    assert not any(t.isdigit() for t in tokens)
    used = {"notificationTypes": "ORDER_CHANGE", "nextToken": tokens[0]}
    assert http.get(url, params=used, headers=a).status_code == 400  # spent
    whole = http.get(url, params={"notificationTypes": "ORDER_CHANGE", "pageSize": "100"}, headers=a)
    assert len(whole.json()["payload"]["subscriptions"]) == 65
    first = http.get(url, params={"notificationTypes": "ORDER_CHANGE"}, headers=b).json()["payload"]
    assert len(first["subscriptions"]) == 1
