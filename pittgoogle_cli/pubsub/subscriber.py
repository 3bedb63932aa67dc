"""One Pub/Sub subscription over REST: get, create, pull, ack, modifyAckDeadline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pittgoogle_cli._exceptions import AlreadyExists, NotFound
from pittgoogle_cli.google.buffers import BodyBuffers
from pittgoogle_cli.google.gate import ReadGate
from pittgoogle_cli.google.http import NoCredentials, RestClient, TokenSource
from pittgoogle_cli.google.retry import RetryPolicy
from pittgoogle_cli.pubsub import rest
from pittgoogle_cli.pubsub.rest import ReceivedMessage, ResourceName, Subscription

PUBSUB_URL = "https://pubsub.googleapis.com/v1"
# Google's limit is 524,288 bytes per ack request; 1,000 ids stays well under it.
_ACK_CHUNK = 1000


def default_token_source(
    emulator: bool, *, credentials: Path | None = None, project: str | None = None
) -> TokenSource:
    """``auth.default_token_source``, imported only when used: the emulator needs none of
    the OAuth machinery (and starts faster without it)."""
    if emulator:
        return NoCredentials()
    from pittgoogle_cli.auth import resolve as auth

    return auth.default_token_source(False, credentials=credentials, project=project)


def pubsub_base_url(emulator_host: str | None) -> str:
    """The REST root: the emulator's when ``PUBSUB_EMULATOR_HOST`` is set, else Google's."""
    if not emulator_host:
        return PUBSUB_URL
    host = emulator_host.strip().rstrip("/")
    if "://" not in host:
        host = f"http://{host}"
    return f"{host}/v1"


def pubsub_client(
    emulator_host: str | None = None,
    tokens: TokenSource | None = None,
    retry: RetryPolicy | None = None,
    *,
    credentials: Path | None = None,
    project: str | None = None,
    timeout: float = 60.0,
) -> RestClient:
    """A REST client for Pub/Sub; ``emulator_host`` defaults to ``PUBSUB_EMULATOR_HOST``;
    ``tokens`` to the first credentials that apply (none for an emulator); ``timeout``:
    seconds one request may take."""
    if emulator_host is None:
        emulator_host = os.environ.get("PUBSUB_EMULATOR_HOST") or None
    if tokens is None:
        tokens = default_token_source(
            emulator_host is not None, credentials=credentials, project=project
        )
    return RestClient(pubsub_base_url(emulator_host), tokens=tokens, retry=retry, timeout=timeout)


class Subscriber:
    """Calls on one subscription; every method is one REST call (chunked for acks)."""

    def __init__(self, client: RestClient, name: ResourceName) -> None:
        self.client = client
        self.name = name
        self._buffers = BodyBuffers()  # pull replies, read one after another

    async def get(self) -> Subscription | None:
        try:
            return rest.parse_subscription(await self.client.call("GET", self.name.path))
        except NotFound:
            return None

    async def create(self, topic: ResourceName, ack_deadline_seconds: int = 60) -> Subscription:
        body = rest.create_subscription_body(topic, ack_deadline_seconds)
        try:
            reply = await self.client.call("PUT", self.name.path, body)
        except NotFound:
            raise NotFound(  # open_subscription names the subscription: said once
                f"topic {topic} does not exist (check the name, or pass --topic/--topic-project)",
                status=404,
                reason="NOT_FOUND",
            ) from None
        return rest.parse_subscription(reply)

    async def ensure(
        self, topic: ResourceName, ack_deadline_seconds: int = 60
    ) -> tuple[Subscription, bool]:
        """The subscription, created attached to ``topic`` if missing; (it, created?)."""
        existing = await self.get()
        if existing is not None:
            return existing, False
        try:
            return await self.create(topic, ack_deadline_seconds), True
        except AlreadyExists:  # another pgb created it between our get and create
            existing = await self.get()
            if existing is None:
                raise
            return existing, False

    async def pull(
        self,
        max_messages: int = 100,
        *,
        return_immediately: bool = True,
        gate: ReadGate | None = None,
    ) -> list[ReceivedMessage]:
        """One pull. With a ``gate`` (see ``RestClient.call``) the caller releases the
        token taken for the reply once done with the messages."""
        body = rest.pull_body(max_messages, return_immediately)
        path = f"{self.name.path}:pull"
        reply = await self.client.call("POST", path, body, gate=gate, buffers=self._buffers)
        try:
            messages = rest.parse_pull(reply)  # msgspec's objects keep no view of the reply
        except BaseException:
            if gate is not None:
                gate.release()
            raise
        if messages:
            self._buffers.give(reply)
        else:  # an idle stream keeps no reply buffers
            self._buffers.clear()
        return messages

    async def acknowledge(self, ack_ids: Sequence[str]) -> None:
        for start in range(0, len(ack_ids), _ACK_CHUNK):
            chunk = list(ack_ids[start : start + _ACK_CHUNK])
            await self.client.call("POST", f"{self.name.path}:acknowledge", rest.ack_body(chunk))

    async def modify_ack_deadline(self, ack_ids: Sequence[str], seconds: int) -> None:
        """``seconds=0`` is a nack: the messages are redelivered at once."""
        for start in range(0, len(ack_ids), _ACK_CHUNK):
            chunk = list(ack_ids[start : start + _ACK_CHUNK])
            body = rest.modify_ack_deadline_body(chunk, seconds)
            await self.client.call("POST", f"{self.name.path}:modifyAckDeadline", body)
