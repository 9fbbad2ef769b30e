"""The desired state file (TOML, or YAML when PyYAML is installed): destinations and who subscribes to what.

See subscriptions.example.toml for the format. Everything that can be checked without calling Amazon is
checked here, so that a typo fails before the first call instead of half-way through 200 sellers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spapi.models.notifications_api import AggregationSettings, EventFilter, ProcessingDirective
from spapi.regions import ENDPOINTS, Region
from subscriptions.directives import directive_key
from subscriptions.types import (
    aggregation_time_periods,
    check_type,
    event_filter_types,
    order_change_types,
)

_SQS_ARN = re.compile(r"^arn:aws[\w-]*:sqs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[\w-]{1,80})$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

ALL_SELLERS = "all"


class ConfigError(ValueError):
    """The desired state file is unreadable or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DestinationSpec(_Strict):
    """An SQS queue (by ARN) or an EventBridge partner event source (by AWS account id and region)."""

    sqs_arn: str | None = None
    eventbridge_account_id: str | None = None
    eventbridge_region: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DestinationSpec:
        bridge = self.eventbridge_account_id is not None or self.eventbridge_region is not None
        if (self.sqs_arn is not None) == bridge:
            raise ValueError("give either sqs_arn, or eventbridge_account_id and eventbridge_region")
        if self.sqs_arn is not None and not _SQS_ARN.match(self.sqs_arn):
            raise ValueError(
                f"sqs_arn {self.sqs_arn!r} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT_ID:QUEUE_NAME)"
            )
        if bridge:
            if not self.eventbridge_account_id or not _ACCOUNT_ID.match(self.eventbridge_account_id):
                raise ValueError("eventbridge_account_id must be the 12-digit AWS account id")
            if not self.eventbridge_region or not _AWS_REGION.match(self.eventbridge_region):
                raise ValueError("eventbridge_region must be an AWS region such as us-east-1")
        return self

    @property
    def kind(self) -> Literal["sqs", "eventbridge"]:
        return "sqs" if self.sqs_arn is not None else "eventbridge"

    @property
    def sqs_region(self) -> str | None:
        match = _SQS_ARN.match(self.sqs_arn or "")
        return match.group("region") if match else None

    def describe(self) -> str:
        if self.sqs_arn is not None:
            return f"sqs {self.sqs_arn}"
        return f"eventbridge account {self.eventbridge_account_id} region {self.eventbridge_region}"


class AggregationSpec(_Strict):
    """A type's aggregation_settings: an aggregation_time_period Amazon knows."""

    aggregation_time_period: str

    @field_validator("aggregation_time_period")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in aggregation_time_periods():
            raise ValueError(f"must be one of {', '.join(aggregation_time_periods())}")
        return value


class EventFilterSpec(_Strict):
    """A type's event_filter: marketplaces, order change types and aggregation, each optional."""

    marketplace_ids: list[str] | None = None
    order_change_types: list[str] | None = None
    aggregation_settings: AggregationSpec | None = None

    @field_validator("order_change_types")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        unknown = [v for v in value or () if v not in order_change_types()]
        if unknown:
            raise ValueError(
                f"unknown order change type(s) {', '.join(unknown)}; known: {', '.join(order_change_types())}"
            )
        return value


class TypeSpec(_Strict):
    """One notification type: its payload version and optional processing directive."""

    type: str
    payload_version: str = Field(min_length=1)
    event_filter: EventFilterSpec | None = None
    filter_expression: str | None = None
    # Overrides the entry's destination for this type.
    destination: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return check_type(value)

    @model_validator(mode="after")
    def _one_directive(self) -> TypeSpec:
        if self.event_filter is not None and self.filter_expression is not None:
            raise ValueError(
                f"{self.type}: event_filter and filter_expression are mutually exclusive (Amazon refuses "
                "a processingDirective with both): keep one"
            )
        if self.event_filter is not None and self.type not in event_filter_types():
            raise ValueError(
                f"{self.type} takes no event_filter; only {', '.join(sorted(event_filter_types()))} do "
                "(use filter_expression instead)"
            )
        if (
            self.event_filter is not None
            and self.event_filter.order_change_types
            and self.type != "ORDER_CHANGE"
        ):
            raise ValueError("order_change_types applies to ORDER_CHANGE only")
        return self

    def processing_directive(self) -> ProcessingDirective | None:
        if self.filter_expression is not None:
            return ProcessingDirective(filter_expression=self.filter_expression)
        if self.event_filter is None:
            return None
        spec = self.event_filter
        aggregation = (
            AggregationSettings(aggregation_time_period=spec.aggregation_settings.aggregation_time_period)
            if spec.aggregation_settings is not None
            else None
        )
        return ProcessingDirective(
            event_filter=EventFilter(
                event_filter_type=self.type,
                marketplace_ids=spec.marketplace_ids,
                order_change_types=spec.order_change_types,
                aggregation_settings=aggregation,
            )
        )


class SubscriptionEntry(_Strict):
    """A [[subscriptions]] entry: which sellers (or all) subscribe to which types, and where."""

    sellers: Literal["all"] | list[str]
    destination: str
    types: list[TypeSpec] = Field(min_length=1)

    @field_validator("sellers")
    @classmethod
    def _some(cls, value: Literal["all"] | list[str]) -> Literal["all"] | list[str]:
        if isinstance(value, list) and not value:
            raise ValueError('list at least one seller id, or write sellers = "all"')
        return value


class DesiredConfig(_Strict):
    """The whole desired state file: its region, named destinations and subscription entries."""

    # The SP-API region this file manages; default: SPAPI_NOTIFY_REGION.
    region: Region | None = None
    destinations: dict[str, DestinationSpec] = Field(min_length=1)
    subscriptions: list[SubscriptionEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _destinations_exist(self) -> DesiredConfig:
        names = set(self.destinations)
        for index, entry in enumerate(self.subscriptions):
            for name in [entry.destination, *(t.destination for t in entry.types if t.destination)]:
                if name not in names:
                    raise ValueError(
                        f"subscriptions[{index}] names destination {name!r}, which is not among "
                        f"[destinations]: {', '.join(sorted(names))}"
                    )
        return self

    def check_region(self, region: Region) -> None:
        """SP-API delivers to an SQS queue in the AWS region of its endpoint; anything else never arrives."""
        expected = ENDPOINTS[region].aws_region
        for name, spec in self.destinations.items():
            if spec.sqs_region is not None and spec.sqs_region != expected:
                raise ConfigError(
                    f"destination {name!r}: the SQS queue is in {spec.sqs_region}, but the SP-API "
                    f"{region.value} region delivers to queues in {expected}: create the queue in {expected}"
                    f" (or manage region {spec.sqs_region!r} sellers with the matching region setting)"
                )


@dataclass(frozen=True)
class Want:
    """One desired subscription of one seller: seller + type + processing directive identify it."""

    seller_id: str
    notification_type: str
    payload_version: str
    destination: str  # a key of DesiredConfig.destinations
    directive: ProcessingDirective | None

    @property
    def directive_key(self) -> str:
        return directive_key(self.directive)

    @property
    def key(self) -> tuple[str, str, str]:
        """(seller, type, directive identity): two wants with the same key are the same subscription."""
        return (self.seller_id, self.notification_type, self.directive_key)


class Wants:
    """Every subscription the file asks for, by seller, type and processing directive.

    ``wants[(seller, type)]`` is the one subscription of the seller to the type, for the common case of one
    per type (LookupError when the file asks for several: use ``of``).
    """

    def __init__(self, wants: Iterable[Want] = ()) -> None:
        self._by_pair: dict[tuple[str, str], list[Want]] = {}
        for want in {want.key: want for want in wants}.values():
            self._by_pair.setdefault((want.seller_id, want.notification_type), []).append(want)

    def __iter__(self) -> Iterator[Want]:
        return (want for wants in self._by_pair.values() for want in wants)

    def __len__(self) -> int:
        return sum(len(wants) for wants in self._by_pair.values())

    def of(self, seller_id: str, notification_type: str) -> list[Want]:
        """The seller's wanted subscriptions to the type (several when their directives differ)."""
        return list(self._by_pair.get((seller_id, notification_type), ()))

    def pairs(self) -> list[tuple[str, str]]:
        """Every (seller, type) with at least one wanted subscription, in the file's order."""
        return list(self._by_pair)

    def __contains__(self, key: object) -> bool:
        return key in self._by_pair

    def __getitem__(self, key: tuple[str, str]) -> Want:
        found = self._by_pair.get(key)
        if not found:
            raise KeyError(key)
        if len(found) > 1:
            raise LookupError(
                f"{key[0]} {key[1]}: the file asks for {len(found)} subscriptions; use Wants.of"
            )
        return found[0]

    def only(self, seller_ids: Iterable[str]) -> Wants:
        """The wants of these sellers."""
        keep = set(seller_ids)
        return Wants(w for w in self if w.seller_id in keep)


def explicit_sellers(config: DesiredConfig) -> list[str]:
    """The sellers the file names explicitly, in order of first mention."""
    seen: dict[str, None] = {}
    for entry in config.subscriptions:
        if isinstance(entry.sellers, list):
            seen.update(dict.fromkeys(entry.sellers))
    return list(seen)


def wants_all(config: DesiredConfig) -> bool:
    """Whether any entry subscribes every seller (``sellers = "all"``)."""
    return any(entry.sellers == ALL_SELLERS for entry in config.subscriptions)


def resolve(config: DesiredConfig, all_sellers: Iterable[str]) -> Wants:
    """Every subscription the file asks for. A seller named explicitly overrides ``sellers = "all"`` for
    the types it lists. A seller may have several subscriptions to a type when their processing directives
    differ; the same type with the same directive twice is refused."""
    everyone = list(all_sellers)
    by_all: dict[tuple[str, str, str], Want] = {}
    explicit: dict[tuple[str, str, str], Want] = {}
    for entry in config.subscriptions:
        sellers = everyone if entry.sellers == ALL_SELLERS else entry.sellers
        target = by_all if entry.sellers == ALL_SELLERS else explicit
        for spec in entry.types:
            for seller_id in sellers:
                want = Want(
                    seller_id=seller_id,
                    notification_type=spec.type,
                    payload_version=spec.payload_version,
                    destination=spec.destination or entry.destination,
                    directive=spec.processing_directive(),
                )
                if want.key in target:
                    who = "all sellers" if target is by_all else f"seller {seller_id}"
                    raise ConfigError(
                        f"{spec.type} is listed twice for {who} with the same processing directive: a seller "
                        "has one subscription per type and directive (give each its own event_filter or "
                        "filter_expression, or keep one)"
                    )
                target[want.key] = want
    named = {(seller_id, kind) for seller_id, kind, _ in explicit}
    kept = [want for key, want in by_all.items() if (key[0], key[1]) not in named]
    return Wants([*kept, *explicit.values()])


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def parse_config(data: Mapping[str, Any], source: str = "config") -> DesiredConfig:
    """Validate a parsed file; ConfigError lists every problem with where it is in the file."""
    try:
        return DesiredConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"  {_location(tuple(error['loc']))}: {message}")
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(problems)) from None


def load_config(path: Path) -> DesiredConfig:
    """Read and validate a TOML or YAML file; ConfigError says what is wrong with it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    data: Any
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # noqa: PLC0415 (optional: only YAML files need PyYAML)
        except ImportError:
            raise ConfigError(f"{path}: YAML needs PyYAML (pip install pyyaml), or write TOML") from None
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a table/mapping at the top level")
    return parse_config(data, str(path))
