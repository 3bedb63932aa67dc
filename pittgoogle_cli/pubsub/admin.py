"""A project's subscriptions and snapshots over REST: list, create, delete, seek (replay).

Durations travel as Pub/Sub's ``"600s"`` strings; times as RFC 3339. The REST API does not
give a subscription's backlog (that is Cloud Monitoring's ``num_undelivered_messages``), so
``SubscriptionInfo`` has none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from pittgoogle_cli._exceptions import ConfigError, MalformedReply, NotFound
from pittgoogle_cli.google.http import RestClient
from pittgoogle_cli.pubsub.rest import ResourceName

# Pub/Sub's own bounds (the API refuses values outside them with a terse 400).
ACK_DEADLINE = (10, 600)
RETENTION = (600, 31 * 24 * 3600)  # 10 minutes to 31 days
MIN_EXPIRATION = 24 * 3600  # a day; 0 means never


class SubscriptionInfo(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    topic: str = ""
    ack_deadline_seconds: int = 10
    message_retention_duration: str = ""
    retain_acked_messages: bool = False
    expiration_policy: dict[str, str] | None = None
    filter: str = ""
    state: str = ""

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def retention_seconds(self) -> float | None:
        return seconds_of(self.message_retention_duration)

    @property
    def expires_after_seconds(self) -> float | None:
        """The inactivity that deletes it; 0 for never (a policy without a ttl)."""
        if self.expiration_policy is None:
            return 31 * 24 * 3600.0  # Pub/Sub's default when no policy is given
        if not self.expiration_policy.get("ttl"):
            return 0.0
        return seconds_of(self.expiration_policy["ttl"])

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "topic": self.topic,
            "ackDeadlineSeconds": self.ack_deadline_seconds,
            "retentionSeconds": self.retention_seconds,
            "retainAckedMessages": self.retain_acked_messages,
            "expiresAfterSeconds": self.expires_after_seconds,
            "filter": self.filter,
            "backlog": None,  # not in the REST API
        }


class SnapshotInfo(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    topic: str = ""
    expire_time: str = ""

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]


class _SubscriptionPage(msgspec.Struct, frozen=True, rename="camel"):
    subscriptions: list[SubscriptionInfo] = []
    next_page_token: str = ""


class _SnapshotPage(msgspec.Struct, frozen=True, rename="camel"):
    snapshots: list[SnapshotInfo] = []
    next_page_token: str = ""


_encoder = msgspec.json.Encoder()
T = TypeVar("T")


def seconds_of(duration: str) -> float | None:
    """``"604800s"`` -> 604800.0; None for an empty or unreadable duration."""
    if not duration.endswith("s"):
        return None
    try:
        return float(duration[:-1])
    except ValueError:
        return None


def _duration(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds:.3f}s"


def _decode(body: bytes | bytearray, kind: type[T], what: str) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise MalformedReply(f"Pub/Sub sent {what} pgb cannot read: {exc}") from None


def _within(value: float, bounds: tuple[int, int], what: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ConfigError(f"{what} must be between {low} and {high} seconds, not {value:g}")


def subscription_body(
    topic: ResourceName,
    *,
    ack_deadline: int = 60,
    retention: float | None = None,
    retain_acked: bool = False,
    expiration: float | None = None,
    filter: str = "",
) -> bytes:
    """The body of a create call. ``expiration``: seconds of inactivity before Pub/Sub
    deletes the subscription, 0 for never, None for Pub/Sub's default (31 days)."""
    _within(ack_deadline, ACK_DEADLINE, "the ack deadline")
    body: dict[str, Any] = {"topic": topic.path, "ackDeadlineSeconds": ack_deadline}
    if retention is not None:
        _within(retention, RETENTION, "the retention")
        body["messageRetentionDuration"] = _duration(retention)
    if retain_acked:
        body["retainAckedMessages"] = True
    if expiration is not None:
        if expiration == 0:
            body["expirationPolicy"] = {}
        elif expiration < MIN_EXPIRATION:
            raise ConfigError(f"the expiration must be 0 (never) or at least {MIN_EXPIRATION} s")
        else:
            body["expirationPolicy"] = {"ttl": _duration(expiration)}
    if filter:
        body["filter"] = filter
    return _encoder.encode(body)


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ConfigError("a seek time needs its time zone (e.g. 2026-12-01T03:00:00Z)")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Admin:
    """Calls on one project's subscriptions and snapshots; one REST call each (lists page)."""

    def __init__(self, client: RestClient, project: str) -> None:
        self.client = client
        self.project = project

    async def subscriptions(self) -> AsyncIterator[SubscriptionInfo]:
        path = f"projects/{self.project}/subscriptions"
        async for page in self._pages(path, _SubscriptionPage, "a subscription list"):
            for found in page.subscriptions:
                yield found

    async def subscription(self, name: ResourceName) -> SubscriptionInfo:
        return _decode(await self.client.call("GET", name.path), SubscriptionInfo, "a reply")

    async def create(self, name: ResourceName, body: bytes) -> SubscriptionInfo:
        try:
            reply = await self.client.call("PUT", name.path, body)
        except NotFound:
            topic = msgspec.json.decode(body).get("topic", "")
            raise NotFound(
                f"cannot create {name}: topic {topic} does not exist", status=404
            ) from None
        return _decode(reply, SubscriptionInfo, "a reply")

    async def delete(self, name: ResourceName) -> None:
        await self.client.call("DELETE", name.path)

    async def seek(
        self,
        name: ResourceName,
        *,
        time: datetime | None = None,
        snapshot: ResourceName | None = None,
    ) -> None:
        """Replay from ``time`` or from a snapshot: exactly one of the two."""
        if time is not None and snapshot is None:
            target = {"time": rfc3339(time)}
        elif snapshot is not None and time is None:
            target = {"snapshot": snapshot.path}
        else:
            raise ConfigError("a seek needs a time or a snapshot (one of them)")
        await self.client.call("POST", f"{name.path}:seek", _encoder.encode(target))

    async def snapshots(self) -> AsyncIterator[SnapshotInfo]:
        path = f"projects/{self.project}/snapshots"
        async for page in self._pages(path, _SnapshotPage, "a snapshot list"):
            for found in page.snapshots:
                yield found

    async def create_snapshot(self, name: ResourceName, subscription: ResourceName) -> SnapshotInfo:
        body = _encoder.encode({"subscription": subscription.path})
        return _decode(await self.client.call("PUT", name.path, body), SnapshotInfo, "a reply")

    async def delete_snapshot(self, name: ResourceName) -> None:
        await self.client.call("DELETE", name.path)

    async def _pages(self, path: str, kind: type[Any], what: str) -> AsyncIterator[Any]:
        token = ""
        while True:
            query = f"?pageSize=100&pageToken={quote(token)}" if token else "?pageSize=100"
            page = _decode(await self.client.call("GET", path + query), kind, what)
            yield page
            token = page.next_page_token
            if not token:
                return
