"""Google's JSON error envelope, shared by every REST API pgb calls, pure.

    {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
               "errors": [{"reason": "accessDenied", "message": "...", "location": "..."}]}}

Pub/Sub's useful word is ``status``; BigQuery's is ``errors[0].reason`` (its HTTP status
does not tell a rate limit from a refusal). ``parse_error`` gives both.
"""

from __future__ import annotations

import msgspec


class ErrorProto(msgspec.Struct, frozen=True):
    """One entry of ``error.errors``; BigQuery also reports a failed job's errors so."""

    reason: str = ""
    message: str = ""
    location: str = ""


class GoogleError(msgspec.Struct, frozen=True):
    """What pgb reads from an error reply (a record, not an exception)."""

    message: str
    status: str  # the status word: NOT_FOUND, RESOURCE_EXHAUSTED...
    reason: str  # errors[0].reason, or ""


class _Body(msgspec.Struct, frozen=True):  # ``code`` repeats the HTTP status: not read
    message: str = ""
    status: str = ""
    errors: list[ErrorProto] = []


class _Envelope(msgspec.Struct, frozen=True):
    error: _Body


_decoder = msgspec.json.Decoder(_Envelope)


def parse_error(body: bytes | bytearray) -> GoogleError | None:
    """The error in a reply ``body``; ``None`` when it is not Google's envelope (a proxy's
    HTML page, an OAuth ``{"error": "invalid_grant"}``, nothing at all)."""
    try:
        error = _decoder.decode(body).error
    except (msgspec.DecodeError, RecursionError):  # RecursionError: JSON nested too deep
        return None
    first = error.errors[0] if error.errors else ErrorProto()
    return GoogleError(error.message or first.message, error.status, first.reason)
