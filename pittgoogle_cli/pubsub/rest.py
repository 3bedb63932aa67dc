"""Pub/Sub REST v1, pure: resource names, request bodies and typed reply parsing.

Replies are parsed with msgspec into frozen structs in one pass; ``bytes`` fields are
base64-decoded by msgspec as it parses, so a 100-message pull reply is turned into
Python objects without a second walk over 8 MB of JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError, MalformedReply

PITT_GOOGLE_PROJECT = "ardent-cycling-243415"

# Google's rule for topic and subscription ids: 3-255 characters, starting with a letter.
_ID = re.compile(r"[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}")
# Looser than Google's 6-30 rule on purpose: old "domain:project" ids and emulator projects.
_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-:._]{0,99}")
_FULL_NAME = re.compile(r"projects/([^/]+)/(subscriptions|topics|snapshots)/([^/]+)")


@dataclass(frozen=True, slots=True)
class ResourceName:
    """``projects/PROJECT/{subscriptions|topics|snapshots}/ID``."""

    project: str
    kind: str
    id: str

    @property
    def path(self) -> str:
        return f"projects/{self.project}/{self.kind}/{self.id}"

    def __str__(self) -> str:
        return self.path


def _resource(name: str, default_project: str | None, kind: str) -> ResourceName:
    full = _FULL_NAME.fullmatch(name)
    if full:
        if full.group(2) != kind:
            raise ConfigError(f"{name!r} names {full.group(2)}, not {kind}")
        project, rid = full.group(1), full.group(3)
    else:
        if not default_project:
            raise ConfigError(config.NO_PROJECT)
        project, rid = default_project, name
    if not _PROJECT.fullmatch(project):
        raise ConfigError(f"{project!r} is not a valid Google Cloud project id")
    if not _ID.fullmatch(rid) or rid.startswith("goog"):
        raise ConfigError(
            f"{rid!r} is not a valid {kind[:-1]} id (3-255 letters, digits or -_.~+%, "
            "starting with a letter)"
        )
    return ResourceName(project, kind, rid)


def subscription_name(name: str, project: str | None) -> ResourceName:
    """A subscription id in ``project``, or a full ``projects/../subscriptions/..`` name."""
    return _resource(name, project, "subscriptions")


def topic_name(name: str, project: str | None = PITT_GOOGLE_PROJECT) -> ResourceName:
    return _resource(name, project, "topics")


def snapshot_name(name: str, project: str | None) -> ResourceName:
    return _resource(name, project, "snapshots")


class PubsubMessage(msgspec.Struct, frozen=True, rename="camel"):
    data: bytes = b""
    attributes: dict[str, str] = {}
    message_id: str = ""
    publish_time: str = ""
    ordering_key: str = ""


class ReceivedMessage(msgspec.Struct, frozen=True, rename="camel"):
    ack_id: str
    message: PubsubMessage
    delivery_attempt: int = 0


class PullReply(msgspec.Struct, frozen=True, rename="camel"):
    received_messages: list[ReceivedMessage] = []


class Subscription(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    topic: str = ""
    ack_deadline_seconds: int = 10


_pull_decoder = msgspec.json.Decoder(PullReply)
_subscription_decoder = msgspec.json.Decoder(Subscription)
_encoder = msgspec.json.Encoder()


# msgspec raises RecursionError, not DecodeError, for JSON nested deeper than it recurses.
_UNREADABLE = (msgspec.DecodeError, RecursionError)


def parse_pull(body: bytes | bytearray) -> list[ReceivedMessage]:
    try:
        return _pull_decoder.decode(body).received_messages
    except _UNREADABLE as exc:
        raise MalformedReply(f"Pub/Sub sent a pull reply pgb cannot read: {exc}") from None


def parse_subscription(body: bytes | bytearray) -> Subscription:
    try:
        return _subscription_decoder.decode(body)
    except _UNREADABLE as exc:
        raise MalformedReply(f"Pub/Sub sent a subscription pgb cannot read: {exc}") from None


def pull_body(max_messages: int, return_immediately: bool) -> bytes:
    return _encoder.encode({"maxMessages": max_messages, "returnImmediately": return_immediately})


def create_subscription_body(topic: ResourceName, ack_deadline_seconds: int) -> bytes:
    return _encoder.encode({"topic": topic.path, "ackDeadlineSeconds": ack_deadline_seconds})


def ack_body(ack_ids: list[str]) -> bytes:
    return _encoder.encode({"ackIds": ack_ids})


def modify_ack_deadline_body(ack_ids: list[str], seconds: int) -> bytes:
    return _encoder.encode({"ackIds": ack_ids, "ackDeadlineSeconds": seconds})


def publish_body(messages: list[tuple[bytes, dict[str, str]]]) -> bytes:
    """For tests, the demo and the benchmark: pgb itself never publishes."""
    return _encoder.encode(
        {"messages": [{"data": data, "attributes": attrs} for data, attrs in messages]}
    )
